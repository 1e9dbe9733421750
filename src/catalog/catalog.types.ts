/**
 * The model catalog as the rest of the app sees it, after the YAML file is loaded and validated.
 * Prices are integer nanodollars per million tokens (per unit for `request` and `image`).
 */
export type AdapterKind = 'openai' | 'anthropic' | 'gemini';

export interface ProviderDef {
  /** e.g. `openai`, `anthropic`, `together` */
  slug: string;
  /** Display name, e.g. `OpenAI`: what responses put in `provider`. */
  name: string;
  adapter: AdapterKind;
  /** e.g. `https://api.openai.com/v1` (adapters append their paths). */
  baseUrl: string;
  /** Name of the environment variable holding the API key; null for keyless local servers. */
  apiKeyEnv: string | null;
  /** Zero data retention, and whether the provider may train on prompts. */
  dataPolicy: { zdr: boolean; training: boolean };
}

export interface ModelDef {
  /** `author/slug`, e.g. `openai/gpt-4o`. */
  id: string;
  name: string;
  description: string;
  /** Unix seconds the model was added. */
  created: number;
  contextLength: number;
  inputModalities: string[];
  outputModalities: string[];
  /** `chat` models serve /chat/completions and /completions; `embedding` models serve /embeddings. */
  kind: 'chat' | 'embedding';
}

/**
 * The token counts a price applies to (the canonical usage's fields, OpenAI-shaped): what the
 * catalog prices, declared here so that pricing depends on no upstream adapter's types.
 */
export interface TokenCounts {
  prompt_tokens: number;
  completion_tokens: number;
  /** cache_write_1h_tokens: the part of cache_write_tokens written to Anthropic's 1-hour cache (priced apart). */
  prompt_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number; cache_write_1h_tokens?: number };
}

/** Per-token prices, nanodollars per million tokens. */
export interface TokenPrices {
  prompt: bigint;
  completion: bigint;
  /** Cached prompt tokens read; null = billed as prompt tokens. */
  cacheRead: bigint | null;
  /** Prompt tokens written to the cache (Anthropic: the 5-minute cache); null = billed as prompt tokens. */
  cacheWrite: bigint | null;
  /** Prompt tokens written to the 1-hour cache (Anthropic); null = billed at `cacheWrite`. */
  cacheWrite1h: bigint | null;
}

/** Token prices that apply instead once a request's prompt is longer than `abovePromptTokens` (Gemini 2.5 Pro above 200k). */
export interface PromptTier extends TokenPrices {
  abovePromptTokens: number;
}

export interface EndpointPricing extends TokenPrices {
  /** Per request. */
  request: bigint;
  /** Per input image. */
  image: bigint;
  /** By prompt length, ascending; the last one the prompt is longer than applies. */
  tiers: PromptTier[];
  /**
   * Prices of the provider's service tiers (OpenAI `priority`, `flex`) that differ from the base
   * ones, by the tier name the provider reports; each replaces the token prices, prompt tiers included.
   */
  serviceTiers: Record<string, TokenPrices & { tiers: PromptTier[] }>;
}

/**
 * How an endpoint counts an input image's prompt tokens where it bills more than the common
 * estimate allows: OpenAI's 512px tiles (after fitting 2048x2048 and the shortest side to 768),
 * `base` tokens an image plus `tile` a tile, `base` alone at `low` detail (gpt-4o-mini: 2833 and
 * 5667, about 33 times gpt-4o's 85 and 170).
 */
export interface ImageTokenRule {
  base: number;
  tile: number;
}

export interface EndpointDef {
  modelId: string;
  providerSlug: string;
  /** The model name the upstream API expects, e.g. `gpt-4o-2024-08-06`. */
  upstreamModel: string;
  /** `free` endpoints serve only `author/slug:free`; others never serve it. */
  variant: 'free' | null;
  pricing: EndpointPricing;
  /** The endpoint's own image token counts; null = the common estimate covers what it bills. */
  imageTokens: ImageTokenRule | null;
  contextLength: number;
  maxCompletionTokens: number;
  /** OpenRouter's supported_parameters vocabulary: temperature, top_p, tools, response_format, ... */
  supportedParameters: string[];
  /** int4, int8, fp8, fp16, bf16, unknown, ... */
  quantization: string;
  /**
   * The endpoint continues a trailing assistant message (Anthropic's prefill, Mistral's and
   * DeepSeek's `prefix: true`): a stream cut after output may continue there.
   */
  prefill: boolean;
}

/** An endpoint with its model and provider resolved, as routing and the gateway use it. */
export interface ResolvedEndpoint {
  endpoint: EndpointDef;
  model: ModelDef;
  provider: ProviderDef;
  /** False when the provider's key is not configured: listed, never routed to. */
  routable: boolean;
}

/** What routing and the gateway read from the catalog (implemented by CatalogService). */
export interface CatalogView {
  model(id: string): ModelDef | undefined;
  provider(slug: string): ProviderDef | undefined;
  /** Every endpoint of a model (free variants included), routable or not, in catalog order. */
  endpoints(modelId: string): ResolvedEndpoint[];
  models(): ModelDef[];
}
