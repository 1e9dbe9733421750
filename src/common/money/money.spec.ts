import { ceilDiv, nanosToUsd, tokenCost, usdToNanos } from './money';

describe('money', () => {
  it.each([
    [1, 1_000_000_000n],
    [0.1, 100_000_000n],
    [0.02, 20_000_000n],
    [1e-9, 1n],
    [123456.789, 123456_789_000_000n],
    ['10.5', 10_500_000_000n],
    ['0.0000000015', 2n],
    ['0.0000000014', 1n],
    [0, 0n],
  ])('usdToNanos(%p) = %p', (usd, nanos) => {
    expect(usdToNanos(usd)).toBe(nanos);
  });

  it('rejects what is not an amount', () => {
    expect(() => usdToNanos('1e3')).toThrow(RangeError);
    expect(() => usdToNanos('abc')).toThrow(RangeError);
    expect(() => usdToNanos(Number.NaN)).toThrow(RangeError);
  });

  it('round-trips to USD numbers at the edge', () => {
    expect(nanosToUsd(1_500_000_000n)).toBe(1.5);
    expect(nanosToUsd(usdToNanos(0.3))).toBe(0.3);
  });

  it('ceilDiv rounds up and only up', () => {
    expect(ceilDiv(0n, 1_000_000n)).toBe(0n);
    expect(ceilDiv(1n, 1_000_000n)).toBe(1n);
    expect(ceilDiv(2_000_000n, 1_000_000n)).toBe(2n);
    expect(ceilDiv(2_000_001n, 1_000_000n)).toBe(3n);
  });

  it('tokenCost is ceil(tokens x price per million / 1e6)', () => {
    expect(tokenCost(0, 20_000_000_000n)).toBe(0n);
    expect(tokenCost(40, 20_000_000_000n)).toBe(800_000n); // 40 tokens at $20/M = $0.0008
    expect(tokenCost(1, 100_000n)).toBe(1n); // 0.1 nanodollars rounds up to 1
    expect(tokenCost(11, 100_000n)).toBe(2n);
  });
});
