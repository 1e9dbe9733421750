import { hasAtMostDecimals } from './decimal-places';

describe('hasAtMostDecimals', () => {
  it.each([
    [5, 2, true],
    [19.99, 2, true],
    [0.1, 9, true],
    [0.123456789, 9, true],
    [1e-9, 9, true],
    [1_000_000, 9, true],
    [19.999, 2, false],
    [1e-10, 9, false],
    [5e-323, 9, false],
    [-5e-323, 9, false],
    [1e-7, 2, false],
    [Number.NaN, 2, false],
    [Number.POSITIVE_INFINITY, 2, false],
    ['5', 2, false],
  ])('%p with at most %p decimals: %p', (value, places, ok) => {
    expect(hasAtMostDecimals(value, places)).toBe(ok);
  });
});
