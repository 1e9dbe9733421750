/**
 * What a user has bought, for the free tier (`is_free_tier`, the daily limit on `:free` models).
 * The credits module provides it; keys cannot import credits (credits builds on keys), so the
 * dependency points this way. Without a provider every user counts as never having bought.
 */
export abstract class PurchaseHistory {
  abstract purchasedNanos(userId: string): Promise<bigint>;
}
