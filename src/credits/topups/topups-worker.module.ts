import { Module } from '@nestjs/common';
import { CreditsModule } from '../credits.module';
import { CheckoutFulfilment } from './events/checkout-fulfilment';
import { DisputeHandler } from './events/dispute-handler';
import { RefundHandler } from './events/refund-handler';
import { StripeEventHandler } from './events/stripe-event-handler';
import { TopupLocator } from './events/topup-locator';
import { StripeEventsProcessor } from './stripe-events.processor';
import { StripeEventsService } from './stripe-events.service';
import { StripeClient } from './stripe.client';
import { TopupsRepository } from './topups.repository';

/** Applies stored Stripe events (top-ups, refunds, disputes) and re-enqueues any that missed their job. */
@Module({
  imports: [CreditsModule],
  providers: [
    StripeClient,
    TopupsRepository,
    StripeEventsService,
    CheckoutFulfilment,
    TopupLocator,
    RefundHandler,
    DisputeHandler,
    StripeEventHandler,
    StripeEventsProcessor,
  ],
  exports: [StripeEventHandler, StripeEventsService],
})
export class TopupsWorkerModule {}
