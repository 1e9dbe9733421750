/** `GET /api/v1/activity`: one row per UTC day × model × endpoint, in OpenRouter's shape (USD). */
export interface ActivityItemDto {
  date: string;
  model: string;
  model_permaslug: string;
  /** The endpoint that served: `<provider slug>/<model>` (Switchyard's endpoints have no other id). */
  endpoint_id: string;
  provider_name: string | null;
  usage: number;
  byok_usage_inference: number;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  reasoning_tokens: number;
}
