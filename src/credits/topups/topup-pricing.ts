import { Nanos, usdToNanos } from '../../common/money/money';

/** Stripe works in cents; the ledger in nanodollars. */
export const NANOS_PER_CENT = 10_000_000n;

export interface FeePolicy {
  /** Basis points of the amount (550 = 5.5%). */
  feeBps: number;
  feeMinCents: number;
}

/** A USD amount to whole cents; null when it has a fraction of a cent (or is not a finite number). */
export function usdToCents(usd: number): number | null {
  if (!Number.isFinite(usd)) return null;
  const nanos = usdToNanos(usd);
  if (nanos % NANOS_PER_CENT !== 0n) return null;
  return Number(nanos / NANOS_PER_CENT);
}

/** The top-up fee: the percentage rounded up to the next cent, never below the minimum. */
export function topupFeeCents(amountCents: number, policy: FeePolicy): number {
  if (!Number.isSafeInteger(amountCents) || amountCents < 0) throw new RangeError(`not an amount in cents: ${amountCents}`);
  const pct = Math.floor((amountCents * policy.feeBps + 9_999) / 10_000);
  return Math.max(pct, policy.feeMinCents);
}

export function centsToNanos(cents: number): Nanos {
  return BigInt(cents) * NANOS_PER_CENT;
}

/** Cents to a USD number for JSON (exact to the cent for any amount we accept). */
export function centsToUsd(cents: number): number {
  return cents / 100;
}
