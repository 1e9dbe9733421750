import { SUPPORTED_PARAMETERS } from '../catalog/catalog-file';

/**
 * Vocabulary entries that reach an endpoint whether or not it lists them: the gateway always sets
 * max_tokens, and routing already prefers endpoints supporting tools, response_format and verbosity
 * (or requires them with provider.require_parameters).
 */
const ALWAYS_SENT = new Set<string>([
  'max_tokens',
  'max_completion_tokens',
  'prediction',
  'response_format',
  'structured_outputs',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'web_search_options',
  'verbosity',
]);

/**
 * The reasoning controls, kept or dropped together: an endpoint listing any of them reasons, and
 * its adapter translates them; a non-reasoning model refuses them (OpenAI answers 400 to reasoning_effort).
 */
const REASONING_PARAMS: readonly string[] = ['reasoning', 'reasoning_effort', 'include_reasoning'];

/**
 * The rest are optional sampling parameters (temperature, top_k, penalties, seed, stop, logprobs, ...),
 * dropped for an endpoint that does not list them: OpenRouter silently drops what the chosen provider
 * does not support, and real servers refuse arguments they do not know (OpenAI answers 400 to top_k).
 */
const SAMPLING_PARAMS = SUPPORTED_PARAMETERS.filter((p) => !ALWAYS_SENT.has(p) && !REASONING_PARAMS.includes(p));

/**
 * The request as one endpoint gets it: sampling parameters the endpoint does not list are left out,
 * and the reasoning controls when it lists none of them. An endpoint that lists no parameters at all
 * (the catalog does not say) gets everything. Callers read reasoning.exclude from the request itself.
 */
export function forEndpoint<T extends Record<string, unknown>>(req: T, supported: readonly string[]): T {
  if (supported.length === 0) return req;
  const reasons = REASONING_PARAMS.some((p) => supported.includes(p));
  const dropped = reasons ? SAMPLING_PARAMS : [...SAMPLING_PARAMS, ...REASONING_PARAMS];
  const unsupported = dropped.filter((p) => req[p] !== undefined && !supported.includes(p));
  if (unsupported.length === 0) return req;
  const kept: Record<string, unknown> = { ...req };
  for (const p of unsupported) delete kept[p];
  return kept as T;
}

/**
 * Fields that are present yet ask nothing of an endpoint: an empty tool list and the default text
 * format. Counting them would steer routing (and require_parameters) away from endpoints that serve
 * such a request as well as any.
 */
function asksNothing(param: string, value: unknown): boolean {
  if (param === 'tools') return Array.isArray(value) && value.length === 0;
  if (param === 'response_format') return (value as { type?: unknown }).type === 'text';
  return false;
}

/** The body fields a client actually sent, in OpenRouter's supported_parameters vocabulary. */
export function requestParams(body: Record<string, unknown>): string[] {
  const used: string[] = SUPPORTED_PARAMETERS.filter(
    (p) => p !== 'structured_outputs' && body[p] !== undefined && body[p] !== null && !asksNothing(p, body[p]),
  );
  if ((body.response_format as { type?: string } | undefined)?.type === 'json_schema') used.push('structured_outputs');
  return used;
}
