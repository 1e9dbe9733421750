import { loadConfig } from '../common/config/app-config';
import { AttemptFailure, retryAfterMs, RetryPolicy } from './retry-policy';

const failure = (f: Partial<AttemptFailure>): AttemptFailure => ({
  status: null,
  transport: null,
  code: null,
  retryAfterMs: null,
  refusal: null,
  providerCode: null,
  message: 'x',
  ...f,
});

describe('RetryPolicy', () => {
  const config = loadConfig({});
  const policy = (rng = 0.5) => Object.assign(new RetryPolicy(config), { rng: () => rng });
  const fresh = { endpointRetries: 0, retries: 0, remainingMs: 90_000 };

  it('has defaults under which a silent provider and its fallback fit in 100 s, and a 20 s first token is waited for', () => {
    const { upstream, retry } = config;
    expect(retry.budgetMs).toBeLessThan(100_000);
    expect(upstream.firstByteTimeoutMs).toBeGreaterThan(20_000);
    expect(upstream.firstTokenTimeoutMs).toBeGreaterThan(20_000);
    expect(upstream.nonStreamingTimeoutMs).toBeGreaterThan(20_000);
    expect(policy().firstByteMs(true, retry.budgetMs)).toBeLessThan(retry.budgetMs);
    expect(policy().firstByteMs(false, retry.budgetMs)).toBeLessThan(retry.budgetMs);
  });

  it.each([
    ['a 500', failure({ status: 500 }), 'backoff'],
    ['a 502', failure({ status: 502 }), 'backoff'],
    ['a 429 without Retry-After', failure({ status: 429 }), 'backoff'],
    ['a reset connection', failure({ transport: 'connect', code: 'ECONNRESET' }), 'backoff'],
    ['a socket closed before the answer', failure({ transport: 'connect', code: 'UND_ERR_SOCKET' }), 'backoff'],
    ['a 429 with Retry-After: 2', failure({ status: 429, retryAfterMs: 2000 }), 2000],
    ['a 503 with Retry-After: 1', failure({ status: 503, retryAfterMs: 1000 }), 1000],
    ['a 429 with a Retry-After longer than the maximum', failure({ status: 429, retryAfterMs: 60_000 }), null],
    ['a 503 without Retry-After', failure({ status: 503 }), null],
    ['a 529', failure({ status: 529 }), null],
    ['a timeout', failure({ transport: 'timeout', code: 'UND_ERR_HEADERS_TIMEOUT' }), null],
    ['a refused connection', failure({ transport: 'connect', code: 'ECONNREFUSED' }), null],
    ['a 400', failure({ status: 400 }), null],
    ['a prompt too long', failure({ status: 400, refusal: 'context_length_exceeded' }), null],
  ])('%s', (_what, f, expected) => {
    const d = policy().decide(f, fresh);
    if (expected === null) expect(d).toEqual({ retry: false });
    else if (expected === 'backoff')
      expect(d).toEqual({ retry: true, delayMs: 375 }); // 500 ms base, jitter 0.5 -> 75 %
    else expect(d).toEqual({ retry: true, delayMs: expected });
  });

  it('retries an endpoint once, and a request no more than its retry budget', () => {
    const f = failure({ status: 500 });
    expect(policy().decide(f, { ...fresh, endpointRetries: 1 })).toEqual({ retry: false });
    expect(policy().decide(f, { ...fresh, retries: config.retry.retries })).toEqual({ retry: false });
  });

  it('does not retry when the wait would not leave the request time for the call', () => {
    expect(policy().decide(failure({ status: 429, retryAfterMs: 2000 }), { ...fresh, remainingMs: 2500 })).toEqual({ retry: false });
    expect(policy().decide(failure({ status: 429, retryAfterMs: 2000 }), { ...fresh, remainingMs: 3500 })).toEqual({
      retry: true,
      delayMs: 2000,
    });
  });

  it('backs off exponentially, jittered between half and all of it, up to the maximum', () => {
    const { backoffBaseMs: base, backoffMaxMs: max } = config.retry;
    expect(policy(0).backoff(0)).toBe(base / 2);
    expect(policy(0.999999).backoff(0)).toBe(base);
    expect(policy(0.999999).backoff(1)).toBe(2 * base);
    expect(policy(0.999999).backoff(20)).toBe(max);
    const draws = Array.from({ length: 50 }, () => new RetryPolicy(config).backoff(2));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(2 * base);
    expect(Math.max(...draws)).toBeLessThanOrEqual(4 * base);
    expect(new Set(draws).size).toBeGreaterThan(1);
  });
});

describe('retryAfterMs', () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0);
  it.each([
    [{ 'retry-after': '2' }, 2000],
    [{ 'retry-after': '0.5' }, 500],
    [{ 'retry-after-ms': '1500', 'retry-after': '2' }, 1500],
    [{ 'retry-after': new Date(now + 30_000).toUTCString() }, 30_000],
    [{ 'retry-after': new Date(now - 30_000).toUTCString() }, 0],
    [{ 'retry-after': 'soon' }, null],
    [{}, null],
  ])('%j -> %s', (headers, expected) => {
    expect(retryAfterMs(headers, now)).toBe(expected);
  });
});
