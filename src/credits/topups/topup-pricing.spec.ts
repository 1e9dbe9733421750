import { centsToNanos, centsToUsd, topupFeeCents, usdToCents } from './topup-pricing';

describe('usdToCents', () => {
  it.each([
    [5, 500],
    [19.99, 1999],
    [0.29, 29],
    [10000, 1_000_000],
    [0.1 + 0.2, 30],
    [1e-9, null],
    [5.001, null],
    [12.345, null],
    [Number.NaN, null],
    [Number.POSITIVE_INFINITY, null],
  ])('%p USD -> %p cents', (usd, cents) => {
    expect(usdToCents(usd)).toBe(cents);
  });
});

describe('topupFeeCents', () => {
  const policy = { feeBps: 550, feeMinCents: 80 };

  it.each([
    [500, 80], // 27.5 cents is under the minimum
    [1454, 80], // 79.97 -> 80
    [1455, 81], // 80.025 rounds up
    [2000, 110], // exactly 5.5%
    [1999, 110], // 109.945 rounds up
    [1_000_000, 55_000],
  ])('%p cents -> fee %p cents', (amount, fee) => {
    expect(topupFeeCents(amount, policy)).toBe(fee);
  });

  it('follows the configured rate and minimum', () => {
    expect(topupFeeCents(10_000, { feeBps: 0, feeMinCents: 0 })).toBe(0);
    expect(topupFeeCents(10_000, { feeBps: 1, feeMinCents: 0 })).toBe(1);
    expect(topupFeeCents(10_001, { feeBps: 1, feeMinCents: 0 })).toBe(2);
    expect(topupFeeCents(100, { feeBps: 290, feeMinCents: 30 })).toBe(30);
  });

  it('refuses what is not a whole number of cents', () => {
    expect(() => topupFeeCents(1.5, policy)).toThrow(RangeError);
    expect(() => topupFeeCents(-1, policy)).toThrow(RangeError);
  });
});

describe('conversions', () => {
  it('cents to nanodollars and USD', () => {
    expect(centsToNanos(2110)).toBe(21_100_000_000n);
    expect(centsToUsd(2110)).toBe(21.1);
    expect(centsToUsd(1)).toBe(0.01);
  });
});
