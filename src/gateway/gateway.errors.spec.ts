import { normaliseError, toEnvelope } from '../common/errors/error-envelope';
import { streamErrorStatus } from '../providers/error-status';
import { GatewayErrors } from './gateway.errors';

describe('GatewayErrors.streamError', () => {
  const envelope = (code: string, message: string) => toEnvelope(normaliseError(GatewayErrors.streamError('Claude Co', streamErrorStatus(code), message, code))).error;

  it('gives a provider rate limit the 429 it gets before a stream, with the provider message and code', () => {
    expect(envelope('rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit')).toEqual({
      code: 429,
      message: 'Number of request tokens has exceeded your per-minute rate limit',
      metadata: { error_type: 'rate_limit_exceeded', provider_name: 'Claude Co', provider_code: 'rate_limit_error' },
    });
  });

  it('masks a provider server error and omits its code', () => {
    expect(envelope('overloaded_error', 'Overloaded: internal cluster eu-7')).toEqual({
      code: 502,
      message: 'Provider returned error',
      metadata: { error_type: 'provider_unavailable', provider_name: 'Claude Co' },
    });
  });

  it('keeps a provider client error a 400', () => {
    expect(envelope('invalid_request_error', 'prompt is too long').code).toBe(400);
  });
});
