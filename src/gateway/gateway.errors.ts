import { AppError } from '../common/errors/app-error';
import type { LimitSource } from '../keys/keys.errors';
import { KeysErrors } from '../keys/keys.errors';

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
  streamCut: (provider: string, detail: string) =>
    new AppError('provider_unavailable', `The provider stream failed: ${detail}`, { provider_name: provider }),
  streamError: (provider: string, message: string, code?: string) =>
    new AppError('provider_unavailable', `Provider returned error: ${message}`, { provider_name: provider, ...(code ? { provider_code: code } : {}) }),
  internal: () => new AppError('server', 'Internal server error'),
};
