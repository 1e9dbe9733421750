import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AppLogger } from '../../common/logging/app-logger';
import { Nanos } from '../../common/money/money';
import { InsufficientBalanceError, LedgerService } from '../ledger.service';
import {
  chargeView,
  ChargeView,
  CheckoutSessionView,
  DisputeView,
  disputeView,
  eventObject,
  RefundView,
  refundView,
  sessionView,
  StripeClient,
} from './stripe.client';
import {
  disputeLostJournal,
  disputeOpenJournal,
  disputeWonJournal,
  refundFailedJournal,
  refundFailedKey,
  refundJournal,
  topupJournal,
} from './topup-journals';
import { centsToNanos } from './topup-pricing';
import { NotReadyError } from './topups.errors';
import { isTopupId, TopupRow, TopupsRepository } from './topups.repository';

/**
 * What Stripe's events do to top-ups and the ledger. Every effect is keyed by a business id
 * (top-up, refund, dispute) and guarded by a conditional update or a unique journal key, so any
 * number, order or mix of events has the effect of each payment, refund and dispute exactly once.
 */

const RETRYABLE_PG = new Set(['40P01', '40001']);

/**
 * Runs a ledger transaction again when a balance moved under it (a concurrent hold made the
 * computed split impossible) or Postgres broke a deadlock. Anything else, or too many tries,
 * goes back to the queue, which retries with backoff.
 */
async function withLedgerRetry<T>(work: () => Promise<T>, tries = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await work();
    } catch (err) {
      const retryable = err instanceof InsufficientBalanceError || RETRYABLE_PG.has((err as { code?: string }).code ?? '');
      if (!retryable || i >= tries) throw err;
      await new Promise((r) => setTimeout(r, 10 * i + Math.floor(Math.random() * 20)));
    }
  }
}

const owedFrom = (receivable: Nanos): Nanos => (receivable < 0n ? -receivable : 0n);
const creditRemaining = (t: TopupRow): Nanos => centsToNanos(t.amountCents) - t.refundedNanos;

export type FulfilOutcome = 'credited' | 'already_credited' | 'unknown_topup' | 'no_session' | 'not_paid' | 'mismatch';

/** Crediting a top-up once its Checkout Session is paid in full. */
@Injectable()
export class CheckoutFulfilment {
  private readonly log: AppLogger;

  constructor(
    private readonly repo: TopupsRepository,
    private readonly stripe: StripeClient,
    private readonly ledger: LedgerService,
    logger: AppLogger,
  ) {
    this.log = logger.child({ component: 'topups' });
  }

  /**
   * Credits the top-up if Stripe (asked now, not an event's snapshot) says its session is paid for
   * exactly the amount and fee on the row. Safe to call any number of times, concurrently: from
   * webhooks, or from the success page for a faster answer.
   */
  async fulfil(topupId: string, sessionIdHint: string | null = null): Promise<FulfilOutcome> {
    const topup = await this.repo.findById(topupId);
    if (!topup) return 'unknown_topup';
    if (topup.status === 'credited') return 'already_credited';
    const sessionId = topup.checkoutSessionId ?? sessionIdHint;
    if (!sessionId) return 'no_session';
    const session = await this.stripe.retrieveCheckoutSession(sessionId);
    const problem = this.problemWith(topup, session);
    if (problem) {
      this.log.warn({ topup: topup.id, session: session.id, problem }, 'checkout session not fulfilled');
      return problem === 'unpaid' ? 'not_paid' : 'mismatch';
    }
    return withLedgerRetry(() =>
      this.ledger.transaction(async (em) => {
        const row = await this.repo.markCredited(em, topup.id, session.id, session.paymentIntentId);
        if (!row) return 'already_credited' as const;
        const { receivable } = await this.ledger.balances(row.userId, em);
        const posted = await this.ledger.post(
          em,
          topupJournal({ topupId: row.id, userId: row.userId, credit: centsToNanos(row.amountCents), fee: centsToNanos(row.feeCents), owed: owedFrom(receivable) }),
        );
        if (!posted) this.log.error({ topup: row.id }, 'top-up journal already existed for a pending top-up');
        this.log.info({ topup: row.id, user: row.userId, amount_cents: row.amountCents, fee_cents: row.feeCents }, 'top-up credited');
        return 'credited' as const;
      }),
    );
  }

  /** A session that expired unpaid: the top-up will never be credited from it. */
  async expire(topupId: string, sessionId: string): Promise<boolean> {
    return isTopupId(topupId) ? this.repo.markExpired(topupId, sessionId) : false;
  }

  private problemWith(t: TopupRow, s: CheckoutSessionView): string | null {
    if (t.checkoutSessionId && t.checkoutSessionId !== s.id) return 'session_mismatch';
    if (s.topupId !== t.id) return 'reference_mismatch';
    if (s.paymentStatus !== 'paid') return 'unpaid';
    if (s.amountTotal !== t.amountCents + t.feeCents) return 'amount_mismatch';
    if (s.currency !== t.currency) return 'currency_mismatch';
    return null;
  }
}

/** Finds the top-up a charge-level object (refund, dispute) belongs to. */
@Injectable()
export class TopupLocator {
  constructor(
    private readonly repo: TopupsRepository,
    private readonly stripe: StripeClient,
    private readonly fulfilment: CheckoutFulfilment,
  ) {}

  async find(refs: { topupId?: string | null; paymentIntentId: string | null; chargeId: string | null }): Promise<TopupRow | null> {
    let topup: TopupRow | null = null;
    if (isTopupId(refs.topupId)) topup = await this.repo.findById(refs.topupId);
    if (!topup && refs.paymentIntentId) topup = await this.repo.findByPaymentIntent(refs.paymentIntentId);
    // Before fulfilment the row does not know its PaymentIntent; the charge carries our metadata.
    if (!topup && refs.chargeId) {
      const charge = await this.stripe.retrieveCharge(refs.chargeId);
      if (isTopupId(charge.topupId)) topup = await this.repo.findById(charge.topupId);
    }
    // A PaymentIntent that is not the one that paid the top-up is someone else's.
    if (topup?.paymentIntentId && refs.paymentIntentId && topup.paymentIntentId !== refs.paymentIntentId) return null;
    return topup;
  }

  /**
   * The top-up, credited: money cannot be taken back before it was given. A refund or dispute can
   * arrive before the checkout event, so fulfilment is tried here too; if Stripe does not (yet)
   * show the session paid, the event waits for a retry.
   */
  async credited(topup: TopupRow): Promise<TopupRow> {
    if (topup.status === 'credited') return topup;
    const outcome = await this.fulfilment.fulfil(topup.id);
    const now = await this.repo.findById(topup.id);
    if (now?.status !== 'credited') throw new NotReadyError(`top-up ${topup.id} is not credited (${outcome})`);
    return now;
  }
}

export type RefundOutcome = 'refunded' | 'already_refunded' | 'refund_failed' | 'not_succeeded' | 'not_ours' | 'currency_mismatch';
export type RefundFailureOutcome = 'reversed' | 'never_debited' | 'already_failed' | 'not_failed' | 'not_ours' | 'currency_mismatch';

/**
 * Refunds debit the refunded credit, once per refund id. A refund that fails afterwards (Stripe
 * returns the cash to our balance) gives back what it took, once; both sides run under the
 * top-up's row lock, so a failure recorded first keeps the refund from ever being debited.
 */
@Injectable()
export class RefundHandler {
  private readonly log: AppLogger;

  constructor(
    private readonly repo: TopupsRepository,
    private readonly stripe: StripeClient,
    private readonly ledger: LedgerService,
    private readonly locator: TopupLocator,
    logger: AppLogger,
  ) {
    this.log = logger.child({ component: 'topups' });
  }

  /** `charge.refunded`: the charge's refunds as Stripe lists them now, each applied by its id. */
  async applyCharge(charge: ChargeView): Promise<(RefundOutcome | RefundFailureOutcome)[]> {
    const refunds = await this.stripe.listRefunds(charge.id);
    const out: (RefundOutcome | RefundFailureOutcome)[] = [];
    for (const r of refunds) {
      const refund = { ...r, chargeId: r.chargeId ?? charge.id, paymentIntentId: r.paymentIntentId ?? charge.paymentIntentId };
      out.push(refund.status === 'failed' ? await this.fail(refund, charge.topupId) : await this.apply(refund, charge.topupId));
    }
    return out;
  }

  /** A refund event that says the refund failed: Stripe is asked, as credit is given back on its word. */
  async failed(snapshot: RefundView): Promise<RefundFailureOutcome> {
    return this.fail(await this.stripe.retrieveRefund(snapshot.id));
  }

  async apply(refund: RefundView, topupIdHint: string | null = null): Promise<RefundOutcome> {
    if (refund.status !== 'succeeded' || refund.amount <= 0) return 'not_succeeded';
    const found = await this.locator.find({ topupId: topupIdHint, paymentIntentId: refund.paymentIntentId, chargeId: refund.chargeId });
    if (!found) return 'not_ours';
    if (refund.currency !== found.currency) {
      this.log.warn({ refund: refund.id, topup: found.id, currency: refund.currency }, 'refund in another currency ignored');
      return 'currency_mismatch';
    }
    const topup = await this.locator.credited(found);
    return withLedgerRetry(() =>
      this.ledger.transaction(async (em) => {
        const row = await this.repo.lock(em, topup.id);
        // Stripe keeps no money for a failed refund, whatever an older event said of it.
        if (await this.repo.journalExists(em, refundFailedKey(refund.id))) return 'refund_failed' as const;
        const { available } = await this.ledger.balances(row.userId, em);
        const { journal, creditTaken } = refundJournal({
          refundId: refund.id,
          topupId: row.id,
          userId: row.userId,
          refund: centsToNanos(refund.amount),
          creditRemaining: creditRemaining(row),
          available,
        });
        if (!(await this.ledger.post(em, journal))) return 'already_refunded' as const;
        if (creditTaken > 0n) await this.repo.addRefunded(em, row.id, creditTaken);
        this.log.info({ refund: refund.id, topup: row.id, user: row.userId, amount_cents: refund.amount }, 'refund debited');
        return 'refunded' as const;
      }),
    );
  }

  /**
   * Reverses the refund's debit if it was posted; either way the `refund-failed:` key is taken, so
   * this happens once however many failure events arrive, and a refund not yet debited never is.
   * The top-up need not be credited: without credit there was no debit.
   */
  private async fail(refund: RefundView, topupIdHint: string | null = null): Promise<RefundFailureOutcome> {
    if (refund.status !== 'failed') return 'not_failed';
    const found = await this.locator.find({ topupId: topupIdHint, paymentIntentId: refund.paymentIntentId, chargeId: refund.chargeId });
    if (!found) return 'not_ours';
    // Refunds in another currency are never debited (see apply).
    if (refund.currency !== found.currency) return 'currency_mismatch';
    return withLedgerRetry(() =>
      this.ledger.transaction(async (em) => {
        // The user's dispute lock before the top-up row, in DisputeHandler's order: an open dispute
        // of the top-up may receive the credit, and must not close meanwhile.
        await this.repo.lockUserDisputes(em, found.userId);
        const row = await this.repo.lock(em, found.id);
        const debit = await this.repo.refundDebit(em, refund.id);
        const dispute = await this.repo.openDisputeOf(em, row.id);
        const { receivable } = await this.ledger.balances(row.userId, em);
        const { journal, creditRestored, setAside } = refundFailedJournal({
          refundId: refund.id,
          topupId: row.id,
          userId: row.userId,
          debit,
          owed: owedFrom(receivable),
          disputeRoom: dispute ? dispute.amountNanos - dispute.fromAvailable - dispute.fromReceivable : 0n,
        });
        if (!(await this.ledger.post(em, journal))) return 'already_failed' as const;
        if (creditRestored > 0n) await this.repo.addRefunded(em, row.id, -creditRestored);
        if (dispute && setAside.fromAvailable + setAside.fromReceivable > 0n) {
          await this.repo.addSetAside(em, dispute.id, setAside.fromAvailable, setAside.fromReceivable);
        }
        this.log.info({ refund: refund.id, topup: row.id, user: row.userId, debited: debit !== null }, 'refund failed');
        return debit ? ('reversed' as const) : ('never_debited' as const);
      }),
    );
  }
}

export type DisputeOutcome = 'opened' | 'won' | 'lost' | 'opened_and_won' | 'opened_and_lost' | 'no_change' | 'not_ours' | 'currency_mismatch';

/** Won in the user's favour: `won`; an inquiry closed or a dispute prevented cost nothing either. */
export const WON_DISPUTE_STATUSES = new Set(['won', 'warning_closed', 'prevented']);

/**
 * Disputes: while open, the user is frozen (no new holds) and the disputed credit is set aside;
 * won puts it back, lost lets it go with the cash and books Stripe's dispute fee.
 */
@Injectable()
export class DisputeHandler {
  private readonly log: AppLogger;

  constructor(
    private readonly repo: TopupsRepository,
    private readonly stripe: StripeClient,
    private readonly ledger: LedgerService,
    private readonly locator: TopupLocator,
    logger: AppLogger,
  ) {
    this.log = logger.child({ component: 'topups' });
  }

  /**
   * Any dispute event: the dispute as Stripe shows it now, not the event's snapshot. Events come in
   * any order and a dispute closes once, so an outdated status or fee would be booked for good.
   */
  async applyEvent(snapshot: DisputeView): Promise<DisputeOutcome> {
    return this.apply(await this.stripe.retrieveDispute(snapshot.id));
  }

  /** Opens the dispute if new, and closes it if Stripe says it is over. */
  private async apply(d: DisputeView): Promise<DisputeOutcome> {
    const found = await this.locator.find({ paymentIntentId: d.paymentIntentId, chargeId: d.chargeId });
    if (!found) return 'not_ours';
    if (d.currency !== found.currency) {
      this.log.warn({ dispute: d.id, topup: found.id, currency: d.currency }, 'dispute in another currency ignored');
      return 'currency_mismatch';
    }
    const topup = await this.locator.credited(found);
    const final = d.status === 'lost' ? 'lost' : d.status && WON_DISPUTE_STATUSES.has(d.status) ? 'won' : null;
    return withLedgerRetry(() =>
      this.ledger.transaction(async (em) => {
        await this.repo.lockUserDisputes(em, topup.userId);
        const opened = (await this.repo.findDispute(em, d.id)) ? false : await this.open(em, topup.id, d);
        const closed = final ? await this.close(em, d, final) : false;
        if (opened && closed) return final === 'won' ? 'opened_and_won' : 'opened_and_lost';
        if (closed) return final!;
        return opened ? 'opened' : 'no_change';
      }),
    );
  }

  private async open(em: EntityManager, topupId: string, d: DisputeView): Promise<boolean> {
    const row = await this.repo.lock(em, topupId);
    const { available } = await this.ledger.balances(row.userId, em);
    const amount = centsToNanos(d.amount);
    const o = disputeOpenJournal({ disputeId: d.id, topupId: row.id, userId: row.userId, amount, creditRemaining: creditRemaining(row), available });
    const inserted = await this.repo.insertDispute(em, {
      id: d.id,
      userId: row.userId,
      topupId: row.id,
      amountNanos: amount,
      fromAvailable: o.fromAvailable,
      fromReceivable: o.fromReceivable,
    });
    if (!inserted) return false;
    await this.ledger.setFrozen(em, row.userId, true);
    await this.ledger.post(em, o.journal);
    this.log.info({ dispute: d.id, topup: row.id, user: row.userId, amount_cents: d.amount }, 'dispute opened: user frozen');
    return true;
  }

  private async close(em: EntityManager, d: DisputeView, outcome: 'won' | 'lost'): Promise<boolean> {
    const row = await this.repo.closeDispute(em, d.id, outcome);
    if (!row) return false;
    const base = {
      disputeId: row.id,
      userId: row.userId,
      amount: row.amountNanos,
      fromAvailable: row.fromAvailable,
      fromReceivable: row.fromReceivable,
      fee: d.feeCents > 0 ? centsToNanos(d.feeCents) : 0n,
    };
    if (outcome === 'won') {
      const { receivable } = await this.ledger.balances(row.userId, em);
      await this.ledger.post(em, disputeWonJournal({ ...base, owed: owedFrom(receivable) }));
    } else {
      await this.ledger.post(em, disputeLostJournal(base));
      // A lost dispute takes the credit back like a refund (purchases and later refunds see it).
      await this.repo.addRefunded(em, row.topupId, row.fromAvailable + row.fromReceivable);
    }
    const stillFrozen = await this.repo.hasOpenDispute(em, row.userId);
    if (!stillFrozen) await this.ledger.setFrozen(em, row.userId, false);
    this.log.info({ dispute: row.id, user: row.userId, outcome, fee_cents: d.feeCents, still_frozen: stillFrozen }, 'dispute closed');
    return true;
  }
}

/** Applies one stored event by its type; returns what happened, for the log. */
@Injectable()
export class StripeEventHandler {
  private readonly log: AppLogger;

  constructor(
    private readonly repo: TopupsRepository,
    private readonly fulfilment: CheckoutFulfilment,
    private readonly refunds: RefundHandler,
    private readonly disputes: DisputeHandler,
    logger: AppLogger,
  ) {
    this.log = logger.child({ component: 'stripe-events' });
  }

  /** Processes a stored event unless already done; failures are counted and rethrown (Bull retries). */
  async process(eventId: string): Promise<string> {
    const event = await this.repo.findEvent(eventId);
    if (!event) return 'missing';
    if (event.processedAt) return 'already_processed';
    try {
      const outcome = await this.apply(event.type, event.payload);
      await this.repo.markEventProcessed(event.id);
      this.log.info({ event: event.id, type: event.type, outcome }, 'stripe event processed');
      return outcome;
    } catch (err) {
      const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      await this.repo.recordEventFailure(event.id, message).catch(() => undefined);
      this.log.warn({ event: event.id, type: event.type, err: message }, 'stripe event failed; will retry');
      throw err;
    }
  }

  async apply(type: string, payload: Record<string, unknown>): Promise<string> {
    const object = eventObject(payload);
    switch (type) {
      case 'checkout.session.completed':
      case 'checkout.session.async_payment_succeeded': {
        const s = sessionView(object);
        return isTopupId(s.topupId) ? this.fulfilment.fulfil(s.topupId, s.id) : 'not_ours';
      }
      case 'checkout.session.expired': {
        const s = sessionView(object);
        return isTopupId(s.topupId) && (await this.fulfilment.expire(s.topupId, s.id)) ? 'expired' : 'no_change';
      }
      case 'payment_intent.succeeded': {
        // Another way to the same top-up: fulfilment is keyed by the top-up, so it credits once.
        const topupId = (object.metadata as Record<string, unknown> | undefined)?.topup_id;
        return typeof topupId === 'string' && isTopupId(topupId) ? this.fulfilment.fulfil(topupId) : 'not_ours';
      }
      case 'refund.failed':
        return this.refunds.failed(refundView(object));
      // charge.refund.updated is refund.updated's name in API versions before 2024-10-28.acacia.
      case 'refund.created':
      case 'refund.updated':
      case 'charge.refund.updated': {
        const r = refundView(object);
        return r.status === 'failed' ? this.refunds.failed(r) : this.refunds.apply(r);
      }
      case 'charge.refunded':
        return (await this.refunds.applyCharge(chargeView(object))).join(',') || 'no_refunds';
      case 'charge.dispute.created':
      case 'charge.dispute.updated':
      case 'charge.dispute.funds_withdrawn':
      case 'charge.dispute.funds_reinstated':
      case 'charge.dispute.closed':
        return this.disputes.applyEvent(disputeView(object));
      default:
        // checkout.session.async_payment_failed and anything we do not use: nothing to do.
        return 'ignored';
    }
  }
}
