import type { AttemptRecord } from '../entities/generation.entity';

/** `GET /api/v1/generation?id=`, in OpenRouter's shape (fields we cannot know are null). */
export interface GenerationDto {
  id: string;
  upstream_id: null;
  request_id: string;
  session_id: string | null;
  created_at: string;
  model: string | null;
  requested_model: string;
  provider_name: string | null;
  app_id: string | null;
  http_referer: string | null;
  app_title: string | null;
  user_agent: string | null;
  external_user: string | null;
  api_type: 'completions' | 'embeddings';
  streamed: boolean;
  cancelled: boolean;
  finish_reason: string | null;
  native_finish_reason: string | null;
  latency: number;
  generation_time: number;
  moderation_latency: null;
  time_to_first_token: number | null;
  tokens_prompt: number;
  tokens_completion: number;
  native_tokens_prompt: number;
  native_tokens_completion: number;
  native_tokens_reasoning: number;
  native_tokens_cached: number;
  usage_estimated: boolean;
  total_cost: number;
  usage: number;
  upstream_inference_cost: null;
  cache_discount: null;
  is_byok: false;
  error: { code: number; message: string | null } | null;
  provider_responses: AttemptRecord[];
}
