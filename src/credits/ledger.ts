import type { AccountKind } from './entities/ledger-account.entity';

export type UserAccountKind = 'available' | 'held' | 'disputed' | 'receivable';
export type PlatformAccountKind = 'stripe_clearing' | 'fee_revenue' | 'dispute_expense' | 'grants';

/** Usage revenue is split over shards so settlements of different users do not queue on one row. */
export const USAGE_REVENUE_SHARDS = 16;

export type AccountRef = { user: string; kind: UserAccountKind } | { platform: PlatformAccountKind } | { usageRevenueShard: number };

export function accountCode(ref: AccountRef): string {
  if ('user' in ref) return `user:${ref.user}:${ref.kind}`;
  if ('platform' in ref) return `platform:${ref.platform}`;
  return `platform:usage_revenue:${ref.usageRevenueShard}`;
}

export function accountKind(ref: AccountRef): AccountKind {
  if ('user' in ref) return ref.kind;
  if ('platform' in ref) return ref.platform;
  return 'usage_revenue';
}

/** The usage revenue shard for a request (by its id), so concurrent settlements rarely share a row. */
export function usageShardFor(key: string): AccountRef {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) >>> 0;
  return { usageRevenueShard: h % USAGE_REVENUE_SHARDS };
}

export interface JournalEntryInput {
  account: AccountRef;
  amount: bigint;
}

export interface JournalInput {
  /** Unique per movement: `topup:<id>`, `settle:<gen>`, `refund:<re_…>`, ... */
  key: string;
  kind: string;
  userId: string | null;
  memo?: string;
  entries: JournalEntryInput[];
}

export interface UserBalances {
  available: bigint;
  held: bigint;
  disputed: bigint;
  receivable: bigint;
  frozen: boolean;
}
