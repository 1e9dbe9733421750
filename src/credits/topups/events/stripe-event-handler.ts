import { Injectable } from '@nestjs/common';
import { AppLogger } from '../../../common/logging/app-logger';
import { chargeView, disputeView, eventObject, refundView, sessionView } from '../stripe.client';
import { isTopupId, TopupsRepository } from '../topups.repository';
import { CheckoutFulfilment } from './checkout-fulfilment';
import { DisputeHandler } from './dispute-handler';
import { RefundHandler } from './refund-handler';

/**
 * What Stripe's events do to top-ups and the ledger. Every effect is keyed by a business id
 * (top-up, refund, dispute) and guarded by a conditional update or a unique journal key, so any
 * number, order or mix of events has the effect of each payment, refund and dispute exactly once.
 *
 * This dispatcher applies one stored event by its type and returns what happened, for the log;
 * each kind of effect has its own handler in this folder: checkout fulfilment, refunds, disputes
 * (with the top-up locator they share).
 */
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
