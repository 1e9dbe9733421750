import type { AttemptRecord } from '../entities/generation.entity';

/** `GET /api/v1/generation?id=`, in OpenRouter's shape (fields we cannot know are null). */
export interface GenerationDto {
  id: string;
  upstream_id: null;
  request_id: string;
  session_id: string | null;
  created_at: string;
  /** The model that served, or the one requested when none did. */
  model: string;
  requested_model: string;
  provider_name: string | null;
  /** The OAuth app's integer id, for a key issued to an app; null for the user's own keys. */
  app_id: number | null;
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
  /** The origin (scheme, host, port) of the HTTP-Referer, or "" without one. */
  origin: string;
  /** No regional routing: every request is served from the global pool. */
  data_region: 'global';
  /** No auto router, presets, response cache or workspaces beyond the account itself. */
  router: null;
  preset_id: null;
  response_cache_source_id: null;
  workspace_id: string;
  /** The tier an upstream reported running the request on is not recorded. */
  service_tier: null;
  /** The gateway runs no web search or fetch. */
  web_search_engine: null;
  num_search_results: 0;
  num_fetches: 0;
  /** Media counts are not recorded. */
  num_media_prompt: null;
  num_media_completion: null;
  num_input_audio_prompt: null;
  native_tokens_completion_images: null;
}
