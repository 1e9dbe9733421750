import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { DisputeView } from '../stripe.client';
import { disputeLostJournal, disputeOpenJournal, disputeWonJournal } from '../topup-journals';
import { centsToNanos } from '../topup-pricing';
import { ChargeEventHandler } from './charge-event-handler';
import { withLedgerRetry } from './ledger-retry';
import { creditRemaining, owedFrom } from './topup-amounts';

export type DisputeOutcome =
  'opened' | 'won' | 'lost' | 'opened_and_won' | 'opened_and_lost' | 'no_change' | 'not_ours' | 'currency_mismatch';

/** Won in the user's favour: `won`; an inquiry closed or a dispute prevented cost nothing either. */
export const WON_DISPUTE_STATUSES = new Set(['won', 'warning_closed', 'prevented']);

/**
 * Disputes: while open, the user is frozen (no new holds) and the disputed credit is set aside;
 * won puts it back, lost lets it go with the cash and books Stripe's dispute fee.
 */
@Injectable()
export class DisputeHandler extends ChargeEventHandler {
  /**
   * Any dispute event: the dispute as Stripe shows it now, not the event's snapshot. Events come in
   * any order and a dispute closes once, so an outdated status or fee would be booked for good.
   */
  async applyEvent(snapshot: DisputeView): Promise<DisputeOutcome> {
    return this.apply(await this.stripe.retrieveDispute(snapshot.id));
  }

  /** Opens the dispute if new, and closes it if Stripe says it is over. */
  private async apply(d: DisputeView): Promise<DisputeOutcome> {
    const found = await this.topupOf({ kind: 'dispute', ...d });
    if (typeof found === 'string') return found;
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
    const o = disputeOpenJournal({
      disputeId: d.id,
      topupId: row.id,
      userId: row.userId,
      amount,
      creditRemaining: creditRemaining(row),
      available,
    });
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
