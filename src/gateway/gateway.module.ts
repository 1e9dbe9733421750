import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { CreditsModule } from '../credits/credits.module';
import { KeysModule } from '../keys/keys.module';
import { ProvidersModule } from '../providers/providers.module';
import { RoutingModule } from '../routing/routing.module';
import { UsageModule } from '../usage/usage.module';
import { Admission } from './admission';
import { GatewayController } from './gateway.controller';
import { GatewayService } from './gateway.service';
import { InFlightLimits } from './in-flight-limits';
import { MessagesController } from './messages/messages.controller';
import { RequestFinisher } from './request-finisher';
import { ResponsesController } from './responses/responses.controller';
import { RetryPolicy } from './retry-policy';
import { StreamContinuation } from './stream-continuation';
import { StreamRelay } from './stream-relay';
import { UpstreamCaller } from './upstream-caller';
import { UserModelsController } from './user-models.controller';

@Module({
  imports: [CatalogModule, RoutingModule, ProvidersModule, KeysModule, CreditsModule, UsageModule],
  controllers: [GatewayController, MessagesController, ResponsesController, UserModelsController],
  providers: [GatewayService, Admission, UpstreamCaller, RetryPolicy, StreamRelay, StreamContinuation, RequestFinisher, InFlightLimits],
})
export class GatewayModule {}
