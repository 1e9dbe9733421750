import { Module } from '@nestjs/common';
import { KeysModule } from '../../keys/keys.module';
import { UsersModule } from '../../users/users.module';
import { CreditsModule } from '../credits.module';
import { ReconciliationService } from './reconciliation.service';
import { CheckoutFulfilment } from './events/checkout-fulfilment';
import { StripeEventsService } from './stripe-events.service';
import { StripeWebhookController } from './stripe-webhook.controller';
import { StripeClient } from './stripe.client';
import { TopupsController } from './topups.controller';
import { TopupsRepository } from './topups.repository';
import { TopupsService } from './topups.service';

/**
 * Card top-ups over HTTP: `POST /api/v1/credits/checkout`, `GET /api/v1/credits/topups` and the
 * Stripe webhook. Events are applied by TopupsWorkerModule.
 */
@Module({
  // Keys and users for AccountGuard: KeysService (management keys) and SessionsService (signed-in
  // users); credits for the ledger the top-ups post to.
  imports: [KeysModule, UsersModule, CreditsModule],
  controllers: [TopupsController, StripeWebhookController],
  providers: [StripeClient, TopupsRepository, TopupsService, StripeEventsService, CheckoutFulfilment, ReconciliationService],
  exports: [TopupsService, CheckoutFulfilment, ReconciliationService],
})
export class TopupsModule {}
