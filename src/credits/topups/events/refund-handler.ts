import { Injectable } from '@nestjs/common';
import { ChargeView, RefundView } from '../stripe.client';
import { refundFailedJournal, refundFailedKey, refundJournal } from '../topup-journals';
import { centsToNanos } from '../topup-pricing';
import { ChargeEventHandler } from './charge-event-handler';
import { withLedgerRetry } from './ledger-retry';
import { creditRemaining, owedFrom } from './topup-amounts';

export type RefundOutcome = 'refunded' | 'already_refunded' | 'refund_failed' | 'not_succeeded' | 'not_ours' | 'currency_mismatch';
export type RefundFailureOutcome = 'reversed' | 'never_debited' | 'already_failed' | 'not_failed' | 'not_ours' | 'currency_mismatch';

/**
 * Refunds debit the refunded credit, once per refund id. A refund that fails afterwards (Stripe
 * returns the cash to our balance) gives back what it took, once; both sides run under the
 * top-up's row lock, so a failure recorded first keeps the refund from ever being debited.
 */
@Injectable()
export class RefundHandler extends ChargeEventHandler {
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
    const found = await this.topupOf({ kind: 'refund', ...refund, topupIdHint });
    if (typeof found === 'string') return found;
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
    // Refunds in another currency are never debited (see apply), so there is nothing to log here.
    const found = await this.topupOf({ kind: 'refund', ...refund, topupIdHint }, false);
    if (typeof found === 'string') return found;
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
