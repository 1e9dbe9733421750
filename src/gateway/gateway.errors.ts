import { AppError } from '../common/errors/app-error';
import { ERROR_STATUS, ErrorCode } from '../common/errors/error-codes';
import type { LimitSource } from '../keys/keys.errors';
import { KeysErrors } from '../keys/keys.errors';

/** A cap's refusal also says how many output tokens the request asked for and how many the cap allows. */
export function withTokens(err: Error, requested: number, affordable: number): Error {
  if (err instanceof AppError && err.reason === 'cap') {
    Object.assign(err.metadata, { requested_tokens: requested, affordable_tokens: affordable });
  }
  return err;
}

/** Our code for an error status a provider answered (or, inside a stream, stood for). */
export function upstreamErrorCode(status: number): ErrorCode {
  if (status === 429) return 'rate_limit_exceeded';
  if (status === 408) return 'provider_timeout';
  if (status >= 500 || status === 401 || status === 403) return 'provider_unavailable';
  return status === 413 ? 'payload_too_large' : 'invalid_request';
}

export const GatewayErrors = {
  modelRequired: () => new AppError('invalid_request', 'model is required'),
  /** OpenRouter's 402 wording, so clients that parse it keep working. */
  cannotAfford: (requested: number, affordable: number) =>
    new AppError(
      'payment_required',
      `This request requires more credits, or fewer max_tokens. You requested up to ${requested} tokens, but can only afford ${affordable}.`,
      { provider_name: null, requested_tokens: requested, affordable_tokens: affordable },
    ),
  limitExhausted: (source: LimitSource | null) => KeysErrors.limitExceeded(source ?? 'key'),
  noEndpoint: () => new AppError('service_unavailable', 'No provider could serve this request'),
  clientClosed: () => new AppError('invalid_request', 'The client closed the connection', { cancelled: true }),
  streamTooLong: (maxMs: number) => new AppError('timeout', `The stream reached its maximum duration of ${Math.round(maxMs / 1000)} s`),
  /** A stream that broke after output reached the client: what the client has is not the whole answer. */
  streamCut: (provider: string, detail: string) =>
    new AppError('provider_unavailable', `The provider's stream was cut before the answer was complete (${detail})`, {
      provider_name: provider,
    }),
  streamStalled: (provider: string, idleMs: number) =>
    new AppError(
      'provider_timeout',
      `The provider's stream stalled: no data for ${Math.round(idleMs / 1000)} s before the answer was complete`,
      { provider_name: provider },
    ),
  streamCorrupted: (provider: string, detail: string) =>
    new AppError('provider_unavailable', `The provider's stream was corrupted before the answer was complete (${detail})`, {
      provider_name: provider,
    }),
  /** A provider's server-side failure tells the client nothing it can act on: masked, as OpenRouter does. */
  streamError: (provider: string, status: number, message: string, providerCode?: string) => {
    const code = upstreamErrorCode(status);
    if (ERROR_STATUS[code] >= 500) return new AppError(code, 'Provider returned error', { provider_name: provider });
    return new AppError(code, message, { provider_name: provider, ...(providerCode ? { provider_code: providerCode } : {}) });
  },
  internal: () => new AppError('server', 'Internal server error'),
};
