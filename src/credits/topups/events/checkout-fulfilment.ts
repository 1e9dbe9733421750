import { Injectable } from '@nestjs/common';
import { AppLogger } from '../../../common/logging/app-logger';
import { LedgerService } from '../../ledger.service';
import { CheckoutSessionView, StripeClient } from '../stripe.client';
import { topupJournal } from '../topup-journals';
import { centsToNanos } from '../topup-pricing';
import { isTopupId, TopupRow, TopupsRepository } from '../topups.repository';
import { withLedgerRetry } from './ledger-retry';
import { owedFrom } from './topup-amounts';

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
          topupJournal({
            topupId: row.id,
            userId: row.userId,
            credit: centsToNanos(row.amountCents),
            fee: centsToNanos(row.feeCents),
            owed: owedFrom(receivable),
          }),
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
