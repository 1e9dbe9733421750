/**
 * Every error the API can answer with, and its HTTP status: the one place where codes map to HTTP.
 * Codes double as `error.metadata.error_type` (OpenRouter's vocabulary where it has a word for it).
 */
export const ERROR_STATUS = {
  invalid_request: 400,
  validation_failed: 400,
  malformed_json: 400,
  unsupported_media_type: 400,
  authentication: 401,
  payment_required: 402,
  permission_denied: 403,
  not_found: 404,
  method_not_allowed: 405,
  timeout: 408,
  conflict: 409,
  payload_too_large: 413,
  rate_limit_exceeded: 429,
  server: 500,
  provider_unavailable: 502,
  service_unavailable: 503,
  provider_timeout: 504,
  /** A provider refused the prompt as longer than its model's context. */
  context_length_exceeded: 400,
  /** A provider's content filter refused the request. */
  content_policy_violation: 400,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

const BY_STATUS = new Map<number, ErrorCode>(
  (Object.entries(ERROR_STATUS) as [ErrorCode, number][]).reverse().map(([code, status]) => [status, code]),
);

/** The generic code for an HTTP status raised by the framework rather than our own code. */
export function codeForStatus(status: number): ErrorCode {
  return BY_STATUS.get(status) ?? (status >= 500 ? 'server' : 'invalid_request');
}
