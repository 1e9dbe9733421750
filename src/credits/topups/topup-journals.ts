import { Nanos } from '../../common/money/money';
import { JournalInput } from '../ledger';

/**
 * The journals of card money, as pure functions of what the ledger holds at posting time. Signs
 * follow the ledger: user credit positive, `receivable` <= 0 is owed, fee revenue positive,
 * `stripe_clearing` negative = cash received, `dispute_expense` negative.
 *
 * Refund policy: top-up fees are non-refundable to the balance. A refund takes back credit first;
 * only the part of a refund beyond the credit still unrefunded reverses fee revenue.
 */

const min = (a: Nanos, b: Nanos): Nanos => (a < b ? a : b);
const nonNeg = (a: Nanos): Nanos => (a > 0n ? a : 0n);

export interface TopupCredit {
  topupId: string;
  userId: string;
  credit: Nanos;
  fee: Nanos;
  /** What the user owes now (minus their receivable balance, >= 0): repaid first. */
  owed: Nanos;
}

/** The journal keys of card money: what the journals are written under and reconciled by. */
export const topupKey = (topupId: string) => `topup:${topupId}`;
export const disputeKeys = (disputeId: string) => ({
  open: `dispute:${disputeId}:open`,
  won: `dispute:${disputeId}:won`,
  lost: `dispute:${disputeId}:lost`,
});

/** Cash in for credit plus fee; the credit repays what the user owes before it becomes available. */
export function topupJournal(t: TopupCredit): JournalInput {
  const repay = min(t.credit, nonNeg(t.owed));
  return {
    key: topupKey(t.topupId),
    kind: 'topup',
    userId: t.userId,
    memo: `Card top-up ${t.topupId}`,
    entries: [
      { account: { platform: 'stripe_clearing' }, amount: -(t.credit + t.fee) },
      { account: { user: t.userId, kind: 'receivable' }, amount: repay },
      { account: { user: t.userId, kind: 'available' }, amount: t.credit - repay },
      { account: { platform: 'fee_revenue' }, amount: t.fee },
    ],
  };
}

export interface RefundInput {
  refundId: string;
  topupId: string;
  userId: string;
  /** What Stripe paid back. */
  refund: Nanos;
  /** The top-up's credit not taken back yet. */
  creditRemaining: Nanos;
  available: Nanos;
}

export interface RefundPosting {
  journal: JournalInput;
  /** Credit taken back (to add to the top-up's refunded total). */
  creditTaken: Nanos;
}

export const refundKey = (refundId: string) => `refund:${refundId}`;
export const refundFailedKey = (refundId: string) => `refund-failed:${refundId}`;

/** Cash out; the credit comes from the available balance, and what was already spent becomes owed. */
export function refundJournal(r: RefundInput): RefundPosting {
  const creditTaken = min(r.refund, nonNeg(r.creditRemaining));
  const fromAvailable = min(creditTaken, nonNeg(r.available));
  const fromFees = r.refund - creditTaken;
  return {
    creditTaken,
    journal: {
      key: refundKey(r.refundId),
      kind: 'refund',
      userId: r.userId,
      memo: `Refund ${r.refundId} of top-up ${r.topupId}`,
      entries: [
        { account: { platform: 'stripe_clearing' }, amount: r.refund },
        { account: { user: r.userId, kind: 'available' }, amount: -fromAvailable },
        { account: { user: r.userId, kind: 'receivable' }, amount: -(creditTaken - fromAvailable) },
        { account: { platform: 'fee_revenue' }, amount: -fromFees },
      ],
    },
  };
}

/** What a refund's journal took, read back from its entries. */
export interface RefundDebit {
  /** Cash paid back (the `stripe_clearing` entry). */
  refund: Nanos;
  fromAvailable: Nanos;
  fromReceivable: Nanos;
  fromFees: Nanos;
}

export interface RefundFailureInput {
  refundId: string;
  topupId: string;
  userId: string;
  /** What `refund:<id>` took; null when it was never posted. */
  debit: RefundDebit | null;
  /** What the user owes now (minus their receivable balance, >= 0). */
  owed: Nanos;
  /** What an open dispute of the top-up could still set aside (its amount beyond what it holds); 0 without one. */
  disputeRoom: Nanos;
}

export interface RefundReversal {
  journal: JournalInput;
  /** Credit given back (to take off the top-up's refunded total). */
  creditRestored: Nanos;
  /** The part of it set aside for the open dispute, to add to the dispute's own parts. */
  setAside: { fromAvailable: Nanos; fromReceivable: Nanos };
}

/**
 * Credit set aside or taken back returns where it came from; the part that would take the
 * receivable above zero (the user repaid in the meantime) goes to the available balance instead.
 */
const creditBack = (userId: string, fromAvailable: Nanos, fromReceivable: Nanos, owed: Nanos) => {
  const toReceivable = min(fromReceivable, nonNeg(owed));
  return [
    { account: { user: userId, kind: 'available' as const }, amount: fromAvailable + fromReceivable - toReceivable },
    { account: { user: userId, kind: 'receivable' as const }, amount: toReceivable },
  ];
};

/**
 * A refund that failed: Stripe put the cash back on our balance, so each part of its debit is
 * reversed. Never debited: a journal without entries, whose key keeps a late "succeeded" event
 * for the refund from debiting it.
 *
 * While a dispute of the top-up is open, the credit it could not set aside because the refund had
 * taken it is set aside now, as the dispute would have done without the refund (available part
 * first); otherwise a lost dispute would find nothing to take back and the user would keep it.
 */
export function refundFailedJournal(f: RefundFailureInput): RefundReversal {
  const d = f.debit ?? { refund: 0n, fromAvailable: 0n, fromReceivable: 0n, fromFees: 0n };
  const [toAvailable, toReceivable] = creditBack(f.userId, d.fromAvailable, d.fromReceivable, f.owed);
  const room = nonNeg(f.disputeRoom);
  const asideAvailable = min(toAvailable.amount, room);
  const asideReceivable = min(toReceivable.amount, room - asideAvailable);
  return {
    creditRestored: d.fromAvailable + d.fromReceivable,
    setAside: { fromAvailable: asideAvailable, fromReceivable: asideReceivable },
    journal: {
      key: refundFailedKey(f.refundId),
      kind: 'refund_failed',
      userId: f.userId,
      memo: `Refund ${f.refundId} of top-up ${f.topupId} failed`,
      entries: [
        { account: { platform: 'stripe_clearing' }, amount: -d.refund },
        { account: toAvailable.account, amount: toAvailable.amount - asideAvailable },
        { account: toReceivable.account, amount: toReceivable.amount - asideReceivable },
        { account: { user: f.userId, kind: 'disputed' }, amount: asideAvailable + asideReceivable },
        { account: { platform: 'fee_revenue' }, amount: d.fromFees },
      ],
    },
  };
}

export interface DisputeOpenInput {
  disputeId: string;
  topupId: string;
  userId: string;
  /** The disputed amount. */
  amount: Nanos;
  creditRemaining: Nanos;
  available: Nanos;
}

export interface DisputeOpening {
  journal: JournalInput;
  fromAvailable: Nanos;
  fromReceivable: Nanos;
}

/** Moves the disputed credit aside: from the available balance, and what was spent becomes owed. */
export function disputeOpenJournal(d: DisputeOpenInput): DisputeOpening {
  const credit = min(nonNeg(d.amount), nonNeg(d.creditRemaining));
  const fromAvailable = min(credit, nonNeg(d.available));
  const fromReceivable = credit - fromAvailable;
  return {
    fromAvailable,
    fromReceivable,
    journal: {
      key: disputeKeys(d.disputeId).open,
      kind: 'dispute',
      userId: d.userId,
      memo: `Dispute ${d.disputeId} on top-up ${d.topupId} opened`,
      entries: [
        { account: { user: d.userId, kind: 'available' }, amount: -fromAvailable },
        { account: { user: d.userId, kind: 'receivable' }, amount: -fromReceivable },
        { account: { user: d.userId, kind: 'disputed' }, amount: fromAvailable + fromReceivable },
      ],
    },
  };
}

export interface DisputeCloseInput {
  disputeId: string;
  userId: string;
  amount: Nanos;
  fromAvailable: Nanos;
  fromReceivable: Nanos;
  /** Stripe's dispute fees net of any returned (from the dispute's balance transactions). */
  fee: Nanos;
}

const feeEntries = (fee: Nanos) =>
  fee > 0n
    ? [
        { account: { platform: 'dispute_expense' as const }, amount: -fee },
        { account: { platform: 'stripe_clearing' as const }, amount: fee },
      ]
    : [];

/** The closing journal of a dispute: its key and memo name the outcome; Stripe's fee entries come last. */
const disputeCloseJournal = (d: DisputeCloseInput, outcome: 'won' | 'lost', entries: JournalInput['entries']): JournalInput => ({
  key: disputeKeys(d.disputeId)[outcome],
  kind: 'dispute',
  userId: d.userId,
  memo: `Dispute ${d.disputeId} ${outcome}`,
  entries: [...entries, ...feeEntries(d.fee)],
});

/** Won: what was set aside goes back where it came from. */
export function disputeWonJournal(d: DisputeCloseInput & { owed: Nanos }): JournalInput {
  return disputeCloseJournal(d, 'won', [
    ...creditBack(d.userId, d.fromAvailable, d.fromReceivable, d.owed),
    { account: { user: d.userId, kind: 'disputed' }, amount: -(d.fromAvailable + d.fromReceivable) },
  ]);
}

/** Lost: the money set aside leaves with the cash; any disputed fee part reverses fee revenue. */
export function disputeLostJournal(d: DisputeCloseInput): JournalInput {
  const setAside = d.fromAvailable + d.fromReceivable;
  const fromFees = nonNeg(d.amount - setAside);
  return disputeCloseJournal(d, 'lost', [
    { account: { user: d.userId, kind: 'disputed' }, amount: -setAside },
    { account: { platform: 'stripe_clearing' }, amount: setAside + fromFees },
    { account: { platform: 'fee_revenue' }, amount: -fromFees },
  ]);
}
