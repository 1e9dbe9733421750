import { Injectable } from '@nestjs/common';
import { AppLogger } from '../../../common/logging/app-logger';
import { LedgerService } from '../../ledger.service';
import { StripeClient } from '../stripe.client';
import { TopupRow, TopupsRepository } from '../topups.repository';
import { TopupLocator } from './topup-locator';

/** A refund or dispute as Stripe shows it: what it is, and the payment it takes money back from. */
export interface ChargeObject {
  kind: 'refund' | 'dispute';
  id: string;
  currency: string | null;
  paymentIntentId: string | null;
  chargeId: string | null;
  /** The top-up id the event's charge carries in its metadata, when known. */
  topupIdHint?: string | null;
}

/**
 * What refunds and disputes have in common: money taken back from a top-up after it was paid.
 * Each handler asks Stripe for the object as it is now, matches it to its top-up (ours, in the
 * top-up's currency), and books the change in one ledger transaction under the top-up's locks.
 */
@Injectable()
export abstract class ChargeEventHandler {
  protected readonly log: AppLogger;

  constructor(
    protected readonly repo: TopupsRepository,
    protected readonly stripe: StripeClient,
    protected readonly ledger: LedgerService,
    protected readonly locator: TopupLocator,
    logger: AppLogger,
  ) {
    this.log = logger.child({ component: 'topups' });
  }

  /**
   * The top-up the object belongs to, or why it is left alone: not ours, or in another currency
   * (never booked; `warn` logs it where the money would have moved).
   */
  protected async topupOf(o: ChargeObject, warn = true): Promise<TopupRow | 'not_ours' | 'currency_mismatch'> {
    const found = await this.locator.find({ topupId: o.topupIdHint, paymentIntentId: o.paymentIntentId, chargeId: o.chargeId });
    if (!found) return 'not_ours';
    if (o.currency !== found.currency) {
      if (warn) this.log.warn({ [o.kind]: o.id, topup: found.id, currency: o.currency }, `${o.kind} in another currency ignored`);
      return 'currency_mismatch';
    }
    return found;
  }
}
