import { Injectable } from '@nestjs/common';
import { Nanos, nanosToUsd } from '../../common/money/money';
import { WON_DISPUTE_STATUSES } from './events/dispute-handler';
import { BalanceTransactionView, chargeView, disputeView, refundView, StripeClient } from './stripe.client';
import { disputeKeys, refundFailedKey, refundKey, topupKey } from './topup-journals';
import { centsToNanos } from './topup-pricing';
import { StripeApiError } from './topups.errors';
import { CardJournal, isTopupId, TopupRow, TopupsRepository } from './topups.repository';

/**
 * Read-only reconciliation of Stripe's balance transactions with the card-money journals (I6).
 * Each Stripe charge, refund and dispute of a top-up must have its journals with the same cash
 * movement, and each such journal of ours a Stripe object. Stripe's processing fees are not booked
 * (the user pays our own top-up fee; Stripe's cut is an operating cost), so they are only totalled.
 */

/** Card payments come as `charge` (or `payment` for some methods); the others likewise. */
const CHARGE_TYPES = ['charge', 'payment'];
const REFUND_TYPES = ['refund', 'payment_refund'];
const REFUND_FAILURE_TYPES = ['refund_failure', 'payment_failure_refund'];
/** Dispute withdrawals and reinstatements; other adjustments are not about top-ups. */
const ADJUSTMENT_TYPES = ['adjustment'];
const PENDING_REFUND = new Set(['pending', 'requires_action']);

export type DifferenceKind =
  | 'topup_not_credited'
  | 'unknown_topup'
  | 'charged_twice'
  | 'amount_mismatch'
  | 'currency_mismatch'
  | 'refund_not_booked'
  | 'failed_refund_still_debited'
  | 'refund_reversed_not_failed'
  | 'dispute_not_booked'
  | 'dispute_outcome_not_booked'
  | 'dispute_outcome_mismatch'
  | 'no_stripe_counterpart';

export interface ReconcileDifference {
  kind: DifferenceKind;
  /** The Stripe object (ch_, re_, dp_), when there is one. */
  stripeId: string | null;
  /** The journal concerned, when there is one. */
  journal: string | null;
  topupId: string | null;
  detail: string;
}

/** Stripe's side, per currency, amounts in the currency's units x 1e9 (nanodollars for USD). */
export interface ReconcileTotals {
  currency: string;
  charges: number;
  charged: Nanos;
  refunds: number;
  /** Not final at Stripe yet, so not booked yet (a refund is debited once it succeeds). */
  pendingRefunds: number;
  /** Net of refunds that failed. */
  refunded: Nanos;
  failedRefunds: number;
  disputes: number;
  openDisputes: number;
  /** Withdrawn for disputes still open (booked when they close). */
  openDisputed: Nanos;
  /** Dispute fees, net of any returned: booked as dispute expense. */
  disputeFees: Nanos;
  /** Stripe's processing fees on charges and refunds: not booked, by design. */
  processingFees: Nanos;
}

export interface ReconcileReport {
  since: Date;
  until: Date;
  totals: ReconcileTotals[];
  /** Balance transactions that are not about Switchyard top-ups (other products on the account). */
  ignored: number;
  differences: ReconcileDifference[];
}

export interface ReconcileOptions {
  since: Date;
  /** Stripe's list page size (at most 100). */
  pageSize?: number;
}

type Json = Record<string, unknown>;

interface Group {
  id: string;
  txs: BalanceTransactionView[];
  source: Json | null;
}

const groupBySource = (txs: BalanceTransactionView[]): Group[] => {
  const groups = new Map<string, Group>();
  for (const t of txs) {
    if (!t.sourceId) continue;
    const g = groups.get(t.sourceId) ?? { id: t.sourceId, txs: [], source: null };
    g.txs.push(t);
    g.source ??= t.source;
    groups.set(t.sourceId, g);
  }
  return [...groups.values()];
};

const sum = (txs: BalanceTransactionView[], pick: (t: BalanceTransactionView) => number) => txs.reduce((s, t) => s + pick(t), 0);
const money = (n: Nanos) => nanosToUsd(n).toFixed(2);

@Injectable()
export class ReconciliationService {
  constructor(
    private readonly repo: TopupsRepository,
    private readonly stripe: StripeClient,
  ) {}

  async reconcile(opts: ReconcileOptions): Promise<ReconcileReport> {
    const until = new Date();
    const list = async (types: string[]) =>
      (await Promise.all(types.map((type) => this.stripe.listBalanceTransactions(type, opts.since, opts.pageSize)))).flat();
    const [chargeTxs, refundTxs, failureTxs, adjustmentTxs] = await Promise.all([
      list(CHARGE_TYPES),
      list(REFUND_TYPES),
      list(REFUND_FAILURE_TYPES),
      list(ADJUSTMENT_TYPES),
    ]);
    const isDispute = (t: BalanceTransactionView) => t.source?.object === 'dispute' || (t.sourceId?.startsWith('dp_') ?? false);
    const charges = groupBySource(chargeTxs);
    const refunds = groupBySource([...refundTxs, ...failureTxs]);
    const disputes = groupBySource(adjustmentTxs.filter(isDispute));
    const run = new Run(this.repo, this.stripe, opts.since);
    run.ignored = adjustmentTxs.filter((t) => !isDispute(t)).length;
    await run.load(charges, refunds, disputes);
    for (const g of charges) run.charge(g);
    for (const g of refunds) run.refund(g);
    for (const g of disputes) run.dispute(g);
    await run.unmatchedJournals();
    return { since: opts.since, until, totals: [...run.totals.values()], ignored: run.ignored, differences: run.differences };
  }
}

/** One reconciliation: what was loaded from both sides, and what was found. */
class Run {
  readonly differences: ReconcileDifference[] = [];
  readonly totals = new Map<string, ReconcileTotals>();
  ignored = 0;
  private readonly topups = new Map<string, TopupRow>();
  /** Charge id -> top-up id, for the refunds and disputes of these charges. */
  private readonly chargeTopups = new Map<string, string | null>();
  private journals = new Map<string, CardJournal>();
  /** Journal keys a Stripe object in the window accounts for. */
  private readonly explained = new Set<string>();
  private readonly chargedTopups = new Map<string, string>();

  constructor(
    private readonly repo: TopupsRepository,
    private readonly stripe: StripeClient,
    private readonly since: Date,
  ) {}

  /** Our rows and journals for these Stripe objects, plus every card-money journal in the window. */
  async load(charges: Group[], refunds: Group[], disputes: Group[]): Promise<void> {
    for (const g of charges) this.chargeTopups.set(g.id, chargeView(g.source ?? {}).topupId);
    const refs = [...refunds.map((g) => refundView(g.source ?? {})), ...disputes.map((g) => disputeView(g.source ?? {}))];
    const byIntent = await this.repo.findByPaymentIntents([...new Set(refs.map((r) => r.paymentIntentId).filter((x): x is string => !!x))]);
    for (const t of byIntent) this.topups.set(t.id, t);
    const intentTopups = new Map(byIntent.map((t) => [t.paymentIntentId, t.id]));
    for (const r of refs) {
      if (!r.chargeId || this.chargeTopups.has(r.chargeId)) continue;
      const known = r.paymentIntentId ? intentTopups.get(r.paymentIntentId) : undefined;
      // A charge outside the window and not yet linked to a top-up: its metadata says whose it is.
      this.chargeTopups.set(r.chargeId, known ?? (await this.stripe.retrieveCharge(r.chargeId)).topupId);
    }
    const wanted = [...this.chargeTopups.values()].filter((id): id is string => isTopupId(id) && !this.topups.has(id));
    for (const t of await this.repo.findByIds(wanted)) this.topups.set(t.id, t);
    const keys = [
      ...[...this.topups.keys()].map(topupKey),
      ...refunds.flatMap((g) => [refundKey(g.id), refundFailedKey(g.id)]),
      ...disputes.flatMap((g) => Object.values(disputeKeys(g.id))),
    ];
    this.journals = new Map((await this.repo.cardJournals(keys, this.since)).map((j) => [j.key, j]));
    const windowTopups = [...this.journals.keys()].filter((k) => k.startsWith('topup:')).map((k) => k.slice('topup:'.length));
    for (const t of await this.repo.findByIds(windowTopups.filter((id) => !this.topups.has(id)))) this.topups.set(t.id, t);
  }

  charge(g: Group): void {
    const topupId = this.chargeTopups.get(g.id) ?? null;
    if (!isTopupId(topupId)) {
      this.ignored += g.txs.length;
      return;
    }
    const amount = sum(g.txs, (t) => t.amount);
    const currency = g.txs[0].currency ?? '';
    const totals = this.totalsFor(currency);
    totals.charges++;
    totals.charged += centsToNanos(amount);
    totals.processingFees += centsToNanos(sum(g.txs, (t) => t.fee));
    const key = topupKey(topupId);
    this.explained.add(key);
    const diff = this.differ(g.id, topupId, key);
    const row = this.topups.get(topupId);
    if (!row) return diff('unknown_topup', `Stripe charge ${g.id} names top-up ${topupId}, which does not exist`, null);
    const other = this.chargedTopups.get(topupId);
    if (other) return diff('charged_twice', `top-up ${topupId} was paid by charge ${other} and again by ${g.id}; it is credited once`);
    this.chargedTopups.set(topupId, g.id);
    if (currency !== row.currency) return diff('currency_mismatch', `Stripe charged ${currency}, the top-up is in ${row.currency}`);
    const expected = row.amountCents + row.feeCents;
    if (amount !== expected)
      diff('amount_mismatch', `Stripe charged ${amount} cents, the top-up is ${row.amountCents} + fee ${row.feeCents} = ${expected} cents`);
    const j = this.journals.get(key);
    if (!j)
      return diff(
        'topup_not_credited',
        `Stripe charged ${amount} ${currency} cents on ${new Date(g.txs[0].created * 1000).toISOString()}; no journal ${key} (status ${row.status})`,
      );
    if (-j.clearing !== centsToNanos(amount))
      diff('amount_mismatch', `Stripe charged ${amount} cents; ${key} received ${money(-j.clearing)}`);
  }

  refund(g: Group): void {
    const r = refundView(g.source ?? {});
    const row = this.topupOfCharge(r.chargeId, g);
    if (!row) return;
    const debits = g.txs.filter((t) => REFUND_TYPES.includes(t.type));
    const returns = g.txs.filter((t) => REFUND_FAILURE_TYPES.includes(t.type));
    const debited = -sum(debits, (t) => t.amount);
    const returned = sum(returns, (t) => t.amount);
    const currency = g.txs[0].currency ?? '';
    const totals = this.totalsFor(currency);
    totals.refunds++;
    totals.refunded += centsToNanos(debited - returned);
    totals.processingFees += centsToNanos(sum(g.txs, (t) => t.fee));
    const failed = returns.length > 0 || r.status === 'failed';
    if (failed) totals.failedRefunds++;
    const key = refundKey(g.id);
    const failedKey = refundFailedKey(g.id);
    this.explained.add(key).add(failedKey);
    const diff = this.differ(g.id, row.id, key);
    if (currency !== row.currency) return diff('currency_mismatch', `Stripe refunded in ${currency}, the top-up is in ${row.currency}`);
    const debit = this.journals.get(key);
    const reversal = this.journals.get(failedKey);
    if (!debit && !reversal && PENDING_REFUND.has(r.status ?? '')) {
      totals.pendingRefunds++;
      return;
    }
    if (!debit && !reversal)
      return diff(
        'refund_not_booked',
        `Stripe refunded ${debited} cents${failed ? ' (failed since)' : ''}; no journal ${key} or ${failedKey}`,
      );
    if (failed && debit && !reversal)
      return diff(
        'failed_refund_still_debited',
        `Stripe says refund ${g.id} failed and returned ${returned} cents; ${key} is not reversed`,
      );
    if (!failed && reversal)
      return diff(
        'refund_reversed_not_failed',
        `Stripe shows refund ${g.id} as ${r.status ?? 'not failed'}; ${failedKey} reversed it`,
        failedKey,
      );
    // A refund's debit leaves Stripe's balance before our window may start; compare what both sides list.
    if (debits.length > 0 && debit && debit.clearing !== centsToNanos(debited))
      diff('amount_mismatch', `Stripe refunded ${debited} cents; ${key} paid out ${money(debit.clearing)}`);
    if (returns.length > 0 && debit && reversal && -reversal.clearing !== centsToNanos(returned))
      diff(
        'amount_mismatch',
        `Stripe returned ${returned} cents of the failed refund; ${failedKey} took back ${money(-reversal.clearing)}`,
        failedKey,
      );
  }

  dispute(g: Group): void {
    const d = disputeView(g.source ?? {});
    const row = this.topupOfCharge(d.chargeId, g);
    if (!row) return;
    const currency = g.txs[0].currency ?? '';
    const totals = this.totalsFor(currency);
    totals.disputes++;
    totals.disputeFees += centsToNanos(sum(g.txs, (t) => t.fee));
    const keys = disputeKeys(g.id);
    Object.values(keys).forEach((k) => this.explained.add(k));
    const diff = this.differ(g.id, row.id, keys.open);
    if (currency !== row.currency) return diff('currency_mismatch', `Stripe disputed in ${currency}, the top-up is in ${row.currency}`);
    const final = d.status === 'lost' ? 'lost' : d.status && WON_DISPUTE_STATUSES.has(d.status) ? 'won' : null;
    if (!final) {
      totals.openDisputes++;
      totals.openDisputed -= centsToNanos(sum(g.txs, (t) => t.amount));
    }
    if (!this.journals.has(keys.open))
      return diff('dispute_not_booked', `Stripe shows dispute ${g.id} (${d.status ?? '?'}, ${d.amount} cents); no journal ${keys.open}`);
    const booked = this.journals.has(keys.lost) ? 'lost' : this.journals.has(keys.won) ? 'won' : null;
    if (booked && booked !== final)
      return diff('dispute_outcome_mismatch', `Stripe shows dispute ${g.id} as ${d.status ?? '?'}; we booked it ${booked}`, keys[booked]);
    if (final && !booked)
      return diff(
        'dispute_outcome_not_booked',
        `Stripe shows dispute ${g.id} as ${d.status ?? '?'}; no journal ${keys[final]}`,
        keys[final],
      );
    // Closed on both sides: the cash it cost, fees included, must be what we booked (when the
    // withdrawal is in the window, so Stripe's side is whole).
    if (!final || !g.txs.some((t) => t.amount < 0)) return;
    const stripeNet = centsToNanos(sum(g.txs, (t) => t.net));
    const ours = -[keys.open, keys[final]].reduce((s, k) => s + (this.journals.get(k)?.clearing ?? 0n), 0n);
    if (ours !== stripeNet)
      diff(
        'amount_mismatch',
        `Stripe's net for dispute ${g.id} is ${money(stripeNet)}; our dispute journals moved ${money(ours)}`,
        keys[final],
      );
  }

  /** The top-up a refund's or dispute's charge paid; null (counted as ignored) when not a top-up's. */
  private topupOfCharge(chargeId: string | null, g: Group): TopupRow | null {
    const topupId = chargeId ? this.chargeTopups.get(chargeId) : null;
    const row = topupId ? this.topups.get(topupId) : undefined;
    if (row) return row;
    this.ignored += g.txs.length;
    return null;
  }

  /** Our card-money journals of the window that no listed Stripe object explains: asked of Stripe one by one. */
  async unmatchedJournals(): Promise<void> {
    for (const j of this.journals.values()) {
      if (this.explained.has(j.key) || j.createdAt < this.since) continue;
      const [kind, id] = j.key.split(':');
      const found = await this.stripeObjectCreated(kind, id);
      // Stripe has it, from before the window: its balance transactions are not in this run.
      if (found !== null && found < this.since.getTime() / 1000) continue;
      const topupId = kind === 'topup' ? id : null;
      this.differences.push({
        kind: 'no_stripe_counterpart',
        stripeId: kind === 'topup' ? (this.topups.get(id)?.checkoutSessionId ?? null) : id,
        journal: j.key,
        topupId,
        detail:
          found === null
            ? `Stripe does not know ${kind === 'topup' ? 'a paid session for this top-up' : id}`
            : `Stripe lists no balance transaction for ${j.key}`,
      });
    }
  }

  /** When Stripe created the object a journal is about (a top-up's paid charge: its session); null if none. */
  private async stripeObjectCreated(kind: string, id: string): Promise<number | null> {
    try {
      if (kind === 'topup') {
        const sessionId = this.topups.get(id)?.checkoutSessionId;
        if (!sessionId) return null;
        const s = await this.stripe.retrieveCheckoutSession(sessionId);
        return s.paymentStatus === 'paid' ? s.created : null;
      }
      if (kind === 'dispute') return (await this.stripe.retrieveDispute(id)).created;
      return (await this.stripe.retrieveRefund(id)).created;
    } catch (err) {
      if (err instanceof StripeApiError && err.statusCode === 404) return null;
      throw err;
    }
  }

  /** Records differences about one Stripe object (and, unless told otherwise, one journal). */
  private differ(stripeId: string, topupId: string, journal: string) {
    return (kind: DifferenceKind, detail: string, about: string | null = journal): void => {
      this.differences.push({ kind, stripeId, journal: about, topupId, detail });
    };
  }

  private totalsFor(currency: string): ReconcileTotals {
    let t = this.totals.get(currency);
    if (!t) {
      t = {
        currency,
        charges: 0,
        charged: 0n,
        refunds: 0,
        pendingRefunds: 0,
        refunded: 0n,
        failedRefunds: 0,
        disputes: 0,
        openDisputes: 0,
        openDisputed: 0n,
        disputeFees: 0n,
        processingFees: 0n,
      };
      this.totals.set(currency, t);
    }
    return t;
  }
}
