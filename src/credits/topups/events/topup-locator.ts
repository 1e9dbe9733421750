import { Injectable } from '@nestjs/common';
import { StripeClient } from '../stripe.client';
import { NotReadyError } from '../topups.errors';
import { isTopupId, TopupRow, TopupsRepository } from '../topups.repository';
import { CheckoutFulfilment } from './checkout-fulfilment';

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
