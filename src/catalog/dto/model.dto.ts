/** OpenRouter's model objects (reference §3.1, §3.2). Prices are USD decimal strings per token/unit. */
export interface PricingDto {
  prompt: string;
  completion: string;
  request: string;
  image: string;
  /** Present only where the endpoint prices cached prompt tokens differently. */
  input_cache_read?: string;
  input_cache_write?: string;
}

export interface ArchitectureDto {
  /** e.g. `text+image->text` */
  modality: string;
  input_modalities: string[];
  output_modalities: string[];
  tokenizer: string;
  instruct_type: string | null;
}

export interface ModelDto {
  id: string;
  canonical_slug: string;
  name: string;
  created: number;
  description: string;
  context_length: number;
  architecture: ArchitectureDto;
  pricing: PricingDto;
  top_provider: { context_length: number; max_completion_tokens: number | null; is_moderated: boolean };
  per_request_limits: null;
  supported_parameters: string[];
  default_parameters: null;
  supported_voices: null;
  links: { details: string };
}

export interface ModelListDto {
  data: ModelDto[];
  total_count: number;
  links: { next: string | null };
}

export interface ProviderDto {
  name: string;
  slug: string;
  privacy_policy_url: string | null;
  terms_of_service_url: string | null;
  status_page_url: string | null;
}

export interface ModelCountDto {
  count: number;
}

export interface PublicEndpointDto {
  name: string;
  model_id: string;
  model_name: string;
  provider_name: string;
  /** Provider slug, plus `/free` for a free endpoint. */
  tag: string;
  context_length: number;
  max_prompt_tokens: number | null;
  max_completion_tokens: number | null;
  pricing: PricingDto;
  quantization: string;
  supported_parameters: string[];
  supports_implicit_caching: boolean;
  supports_tool_choice: ToolChoiceSupportDto;
  /** 0 = routable; -10 = its provider's API key is not configured. */
  status: number;
  uptime_last_5m: number | null;
  uptime_last_30m: number | null;
  uptime_last_1d: number | null;
  /** Time to first token and tokens per second, percentiles over 30 minutes; null when not measured. */
  latency_last_30m: Percentiles | null;
  throughput_last_30m: Percentiles | null;
}

export interface Percentiles {
  p50: number;
  p75: number;
  p90: number;
  p99: number;
}

/** The `tool_choice` values an endpoint takes. */
export interface ToolChoiceSupportDto {
  auto: boolean;
  none: boolean;
  required: boolean;
  function: boolean;
}

export interface ModelEndpointsDto {
  id: string;
  name: string;
  created: number;
  description: string;
  architecture: ArchitectureDto;
  endpoints: PublicEndpointDto[];
}
