import { AppError } from '../common/errors/app-error';
import { normaliseError, toEnvelope } from '../common/errors/error-envelope';
import { CreditsErrors } from '../credits/credits.errors';
import { KeysErrors } from '../keys/keys.errors';
import { streamErrorStatus } from '../providers/error-status';
import { GatewayErrors, withTokens } from './gateway.errors';

describe('GatewayErrors.streamError', () => {
  const envelope = (code: string, message: string) =>
    toEnvelope(normaliseError(GatewayErrors.streamError('Claude Co', streamErrorStatus(code), message, code))).error;

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

describe('withTokens', () => {
  it("adds the requested and affordable tokens to a cap's refusal, by its typed reason", () => {
    const err = withTokens(KeysErrors.limitExceeded('user_daily'), 4096, 100) as AppError;
    expect(err.reason).toBe('cap');
    expect(err.metadata).toMatchObject({ limit_source: 'user_daily', requested_tokens: 4096, affordable_tokens: 100 });
  });

  it("leaves the balance's and a frozen account's refusals as they are", () => {
    for (const refusal of [CreditsErrors.insufficient(), CreditsErrors.negativeBalance(), CreditsErrors.frozen()]) {
      expect(withTokens(refusal, 4096, 100)).toBe(refusal);
      expect(refusal.metadata).not.toHaveProperty('requested_tokens');
    }
    expect([CreditsErrors.insufficient().reason, CreditsErrors.frozen().reason]).toEqual(['balance', 'dispute']);
  });
});
