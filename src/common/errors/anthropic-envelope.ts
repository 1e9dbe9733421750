import type { NormalisedError } from './error-envelope';

/** Anthropic's error body: `{"type":"error","error":{"type":...,"message":...}}`. */
export interface AnthropicErrorEnvelope {
  type: 'error';
  error: { type: string; message: string };
}

/**
 * Anthropic's error type for a status. The status itself stays ours (a 402 or a 503 keeps its
 * meaning); Anthropic's SDKs pick their error class by the status and show the type.
 */
export function anthropicErrorType(status: number): string {
  switch (status) {
    case 401:
      return 'authentication_error';
    case 402:
    case 403:
      // Credits and caps are permissions on spending: Anthropic's own word for a 402 (billing_error) is newer than many clients.
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 503:
      return 'overloaded_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

export function toAnthropicEnvelope(e: Pick<NormalisedError, 'status' | 'message'>): AnthropicErrorEnvelope {
  return { type: 'error', error: { type: anthropicErrorType(e.status), message: e.message } };
}
