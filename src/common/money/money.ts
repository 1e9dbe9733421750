import type { ValueTransformer } from 'typeorm';

/**
 * Money is integer nanodollars (1e-9 USD) as `bigint`, stored in Postgres BIGINT. Floats appear only
 * at the JSON edge, where OpenRouter's wire format uses USD numbers.
 */
export type Nanos = bigint;

export const NANOS_PER_USD = 1_000_000_000n;

/** USD (a JSON number or decimal string) to nanodollars, rounded half away from zero at 1e-9. */
export function usdToNanos(usd: number | string): Nanos {
  const text = typeof usd === 'number' ? usd.toFixed(9) : usd.trim();
  const m = /^(-)?(\d+)(?:\.(\d*))?$/.exec(text);
  if (!m) throw new RangeError(`not a USD amount: ${String(usd)}`);
  const [, sign, whole, frac = ''] = m;
  let nanos = BigInt(whole) * NANOS_PER_USD + BigInt((frac + '000000000').slice(0, 9));
  if (frac.length > 9 && Number(frac[9]) >= 5) nanos += 1n;
  return sign ? -nanos : nanos;
}

/** Nanodollars to a USD number for JSON responses (exact for any amount below ~$9M). */
export function nanosToUsd(nanos: Nanos): number {
  return Number(nanos) / 1e9;
}

/** ceil(a / b) for non-negative bigints: the one rounding rule for costs (never under-charge). */
export function ceilDiv(a: bigint, b: bigint): bigint {
  if (a < 0n || b <= 0n) throw new RangeError('ceilDiv takes a >= 0 and b > 0');
  return (a + b - 1n) / b;
}

const MILLION = 1_000_000n;

/**
 * The one rounding rule for token costs: `tokens` at `perMillion` nanodollars per million tokens cost
 * ceil(tokens x perMillion / 1e6) nanodollars. Used by the request price (catalog/pricing.ts) and by
 * the sweeper that settles holds whose process died.
 */
export function tokenCost(tokens: number, perMillion: Nanos): Nanos {
  return ceilDiv(BigInt(tokens) * perMillion, MILLION);
}

/** Maps BIGINT columns (which pg returns as strings) to bigint and back. */
export const bigintColumn: ValueTransformer = {
  to: (value: bigint | null | undefined) => (value === null || value === undefined ? value : value.toString()),
  from: (value: string | null) => (value === null ? null : BigInt(value)),
};
