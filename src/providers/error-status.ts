/**
 * Providers' named error codes and the HTTP status each stands for: Anthropic error types, OpenAI
 * error codes/types and google.rpc statuses (Gemini), as each provider documents them.
 */
const NAMED_STATUS: Record<string, number> = {
  invalid_request_error: 400,
  context_length_exceeded: 400,
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  OUT_OF_RANGE: 400,
  authentication_error: 401,
  invalid_api_key: 401,
  UNAUTHENTICATED: 401,
  billing_error: 402,
  permission_error: 403,
  PERMISSION_DENIED: 403,
  not_found_error: 404,
  NOT_FOUND: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  rate_limit_exceeded: 429,
  insufficient_quota: 429,
  RESOURCE_EXHAUSTED: 429,
  api_error: 500,
  server_error: 500,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  overloaded_error: 529,
  timeout_error: 504,
  DEADLINE_EXCEEDED: 504,
};

/**
 * The HTTP status of an error a provider sent inside a 2xx stream, which has none of its own:
 * what the provider would have answered had it failed before the stream started. A numeric code
 * is taken as is; an unknown one counts as a bad gateway.
 */
export function streamErrorStatus(code: string | undefined): number {
  if (code && /^[45]\d\d$/.test(code)) return Number(code);
  return (code !== undefined && Object.hasOwn(NAMED_STATUS, code) ? NAMED_STATUS[code] : undefined) ?? 502;
}

/**
 * Why a provider refused a request in a way no retry on the same model changes: the prompt does not
 * fit the model's context (another model with a larger one may take it), or the provider's content
 * filter rejected it (no other endpoint is tried: routing around a filter is not the gateway's call).
 */
export type ProviderRefusal = 'context_length_exceeded' | 'content_policy_violation';

const CONTEXT_CODES = new Set(['context_length_exceeded', 'string_above_max_length']);
const FILTER_CODES = new Set(['content_filter', 'content_policy_violation', 'content_filtered', 'safety', 'SAFETY', 'moderation_blocked']);
const CONTEXT_TEXT =
  /maximum context length|context (window|length)|prompt is too long|too many (input )?tokens|exceeds the maximum number of tokens|input token count/i;
const FILTER_TEXT = /content (management )?polic|content[ _-]filter|flagged by|safety system|blocked due to safety/i;

/** The refusal a provider's 4xx error stands for, by its code or (providers that send none) its message; null for any other error. */
export function providerRefusal(status: number, error: { message: string; code?: string }): ProviderRefusal | null {
  if (status < 400 || status >= 500 || status === 429 || status === 408) return null;
  if (error.code && FILTER_CODES.has(error.code)) return 'content_policy_violation';
  if (error.code && CONTEXT_CODES.has(error.code)) return 'context_length_exceeded';
  if (FILTER_TEXT.test(error.message)) return 'content_policy_violation';
  if (CONTEXT_TEXT.test(error.message)) return 'context_length_exceeded';
  return null;
}
