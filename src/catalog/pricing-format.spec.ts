import fc from 'fast-check';
import { usdToNanos } from '../common/money/money';
import { nanosToUsdString, perMillionToUsdPerToken, usdPerTokenToPerMillion, usdStringToNanos } from './pricing-format';

describe('pricing strings', () => {
  it.each([
    [2_500_000_000n, '0.0000025'],
    [10_000_000_000n, '0.00001'],
    [150_000_000n, '0.00000015'],
    [75_000_000n, '0.000000075'],
    [20_000_000n, '0.00000002'],
    [1n, '0.000000000000001'],
    [0n, '0'],
    [1_000_000_000_000_000n, '1'],
    [18_750_000_000_000_000n, '18.75'],
  ])('%p nanodollars per million tokens = %p USD per token', (nanos, usd) => {
    expect(perMillionToUsdPerToken(nanos)).toBe(usd);
    expect(usdPerTokenToPerMillion(usd)).toBe(nanos);
  });

  it('equals the per-million price divided by a million', () => {
    for (const perMillion of ['2.50', '0.15', '0.075', '18.75', '0.000000001']) {
      expect(Number(perMillionToUsdPerToken(usdToNanos(perMillion)))).toBe(Number(perMillion) / 1e6);
    }
  });

  it.each([
    [0n, '0'],
    [1_000_000n, '0.001'],
    [1n, '0.000000001'],
    [2_500_000_000n, '2.5'],
  ])('%p nanodollars per request or image = %p USD', (nanos, usd) => {
    expect(nanosToUsdString(nanos)).toBe(usd);
    expect(usdStringToNanos(usd)).toBe(nanos);
  });

  it('round-trips any amount exactly', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 24n }), (n) => {
        expect(usdPerTokenToPerMillion(perMillionToUsdPerToken(n))).toBe(n);
        expect(usdStringToNanos(nanosToUsdString(n))).toBe(n);
        expect(perMillionToUsdPerToken(n)).toMatch(/^(0|[1-9]\d*)(\.\d*[1-9])?$/);
      }),
    );
  });

  it('refuses what it cannot represent exactly', () => {
    expect(() => usdPerTokenToPerMillion('0.0000000000000001')).toThrow(RangeError);
    expect(() => usdStringToNanos('0.0000000001')).toThrow(RangeError);
    expect(() => usdStringToNanos('-1')).toThrow(RangeError);
    expect(() => usdStringToNanos('1e-9')).toThrow(RangeError);
    expect(usdPerTokenToPerMillion('0.00000250000000000000')).toBe(2_500_000_000n);
  });
});
