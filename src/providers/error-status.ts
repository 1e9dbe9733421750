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
