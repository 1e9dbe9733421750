import { SUPPORTED_PARAMETERS } from './catalog-file';
import type { EndpointPricing, ModelDef, ResolvedEndpoint } from './catalog.types';
import type { ArchitectureDto, ModelDto, ModelEndpointsDto, PricingDto, PublicEndpointDto, ToolChoiceSupportDto } from './dto/model.dto';
import { nanosToUsdString, perMillionToUsdPerToken } from './pricing-format';

/**
 * Maps the catalog to OpenRouter's wire shapes. A listed model ("entry") is a catalog model with
 * its non-free endpoints, or `author/slug:free` with its free ones (reference §2.4).
 */
export interface ModelEntry {
  /** `author/slug` or `author/slug:free`. */
  id: string;
  variant: 'free' | null;
  model: ModelDef;
  /** Non-empty, catalog order. */
  endpoints: ResolvedEndpoint[];
}

export const FREE_SUFFIX = ':free';

/** The entries of one model: the base model if it has paid endpoints, then `:free` if it has free ones. */
export function entriesOf(model: ModelDef, endpoints: ResolvedEndpoint[]): ModelEntry[] {
  const paid = endpoints.filter((e) => e.endpoint.variant === null);
  const free = endpoints.filter((e) => e.endpoint.variant === 'free');
  const entries: ModelEntry[] = [];
  if (paid.length) entries.push({ id: model.id, variant: null, model, endpoints: paid });
  if (free.length) entries.push({ id: `${model.id}${FREE_SUFFIX}`, variant: 'free', model, endpoints: free });
  return entries;
}

/** OpenRouter's tokenizer families; the catalog does not carry one, so it follows the author. */
const TOKENIZERS: Record<string, string> = {
  openai: 'GPT',
  anthropic: 'Claude',
  google: 'Gemini',
  'meta-llama': 'Llama3',
  mistralai: 'Mistral',
  qwen: 'Qwen',
  deepseek: 'DeepSeek',
  'x-ai': 'Grok',
  cohere: 'Cohere',
};

export function architectureOf(model: ModelDef): ArchitectureDto {
  return {
    modality: `${model.inputModalities.join('+')}->${model.outputModalities.join('+')}`,
    input_modalities: [...model.inputModalities],
    output_modalities: [...model.outputModalities],
    tokenizer: TOKENIZERS[model.id.split('/')[0]] ?? 'Other',
    instruct_type: null,
  };
}

export function pricingOf(p: EndpointPricing): PricingDto {
  const dto: PricingDto = {
    prompt: perMillionToUsdPerToken(p.prompt),
    completion: perMillionToUsdPerToken(p.completion),
    request: nanosToUsdString(p.request),
    image: nanosToUsdString(p.image),
  };
  if (p.cacheRead !== null) dto.input_cache_read = perMillionToUsdPerToken(p.cacheRead);
  if (p.cacheWrite !== null) dto.input_cache_write = perMillionToUsdPerToken(p.cacheWrite);
  return dto;
}

/**
 * The endpoint whose numbers the model listing shows: the cheapest routable one (default routing
 * favours cheap endpoints), or the cheapest of all when none is routable; ties keep catalog order.
 */
export function representative(endpoints: ResolvedEndpoint[]): ResolvedEndpoint {
  const pool = endpoints.some((e) => e.routable) ? endpoints.filter((e) => e.routable) : endpoints;
  const cost = (e: ResolvedEndpoint) => e.endpoint.pricing.prompt + e.endpoint.pricing.completion;
  return pool.reduce((best, e) => (cost(e) < cost(best) ? e : best));
}

/** Union of the endpoints' parameters, in OpenRouter's vocabulary order. */
export function supportedParametersOf(endpoints: ResolvedEndpoint[]): string[] {
  const all = new Set(endpoints.flatMap((e) => e.endpoint.supportedParameters));
  return SUPPORTED_PARAMETERS.filter((p) => all.has(p));
}

const detailsLink = (id: string) => `/api/v1/models/${id}/endpoints`;

export function presentModel(entry: ModelEntry): ModelDto {
  const { model, endpoints } = entry;
  const top = representative(endpoints);
  return {
    id: entry.id,
    canonical_slug: model.id,
    name: entry.variant === 'free' ? `${model.name} (free)` : model.name,
    created: model.created,
    description: model.description,
    // A free variant may be served with a shorter context than the model's.
    context_length: entry.variant === 'free' ? Math.max(...endpoints.map((e) => e.endpoint.contextLength)) : model.contextLength,
    architecture: architectureOf(model),
    pricing: pricingOf(top.endpoint.pricing),
    top_provider: {
      context_length: top.endpoint.contextLength,
      max_completion_tokens: top.endpoint.maxCompletionTokens || null,
      // Switchyard does not moderate prompts itself.
      is_moderated: false,
    },
    per_request_limits: null,
    supported_parameters: supportedParametersOf(endpoints),
    default_parameters: null,
    // Voices are for text-to-speech models; the catalog has none.
    supported_voices: null,
    links: { details: detailsLink(entry.id) },
  };
}

/** OpenRouter documents the status values but not their meanings; -10, the lowest, marks "cannot be used". */
export const STATUS_OK = 0;
export const STATUS_NOT_CONFIGURED = -10;

export function presentEndpoint(entry: ModelEntry, r: ResolvedEndpoint): PublicEndpointDto {
  const { endpoint, provider } = r;
  return {
    name: `${provider.name} | ${entry.id}`,
    model_id: entry.id,
    model_name: entry.variant === 'free' ? `${entry.model.name} (free)` : entry.model.name,
    provider_name: provider.name,
    tag: endpoint.variant ? `${provider.slug}/${endpoint.variant}` : provider.slug,
    context_length: endpoint.contextLength,
    max_prompt_tokens: null,
    max_completion_tokens: endpoint.maxCompletionTokens || null,
    pricing: pricingOf(endpoint.pricing),
    quantization: endpoint.quantization,
    supported_parameters: SUPPORTED_PARAMETERS.filter((p) => endpoint.supportedParameters.includes(p)),
    supports_tool_choice: toolChoiceSupport(endpoint.supportedParameters),
    // Providers that cache on their own (OpenAI, DeepSeek, Gemini) discount cache reads and charge
    // nothing to write; those that charge for writes (Anthropic) need explicit cache breakpoints.
    supports_implicit_caching: endpoint.pricing.cacheRead !== null && endpoint.pricing.cacheWrite === null,
    status: r.routable ? STATUS_OK : STATUS_NOT_CONFIGURED,
    uptime_last_5m: null,
    uptime_last_30m: null,
    uptime_last_1d: null,
    // Health keeps rolling averages for routing, not 30-minute percentiles.
    latency_last_30m: null,
    throughput_last_30m: null,
  };
}

/**
 * Which `tool_choice` values an endpoint takes. Every adapter translates all four (OpenAI passes
 * them through, Anthropic maps them to auto/none/any/tool, Gemini to AUTO/NONE/ANY/allowed names),
 * so an endpoint that lists tool_choice takes them all and one that does not is claimed for none.
 */
export function toolChoiceSupport(supported: readonly string[]): ToolChoiceSupportDto {
  const listed = supported.includes('tool_choice');
  return { auto: listed, none: listed, required: listed, function: listed };
}

export function presentEndpoints(entry: ModelEntry): ModelEndpointsDto {
  return {
    id: entry.id,
    name: entry.variant === 'free' ? `${entry.model.name} (free)` : entry.model.name,
    created: entry.model.created,
    description: entry.model.description,
    architecture: architectureOf(entry.model),
    endpoints: entry.endpoints.map((r) => presentEndpoint(entry, r)),
  };
}
