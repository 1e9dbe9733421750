import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { CreditsModule } from '../credits/credits.module';
import { KeysModule } from '../keys/keys.module';
import { ProvidersModule } from '../providers/providers.module';
import { RoutingModule } from '../routing/routing.module';
import { UsageModule } from '../usage/usage.module';
import { GatewayController } from './gateway.controller';
import { GatewayService } from './gateway.service';
import { InFlightLimits } from './in-flight-limits';
import { UserModelsController } from './user-models.controller';

@Module({
  imports: [CatalogModule, RoutingModule, ProvidersModule, KeysModule, CreditsModule, UsageModule],
  controllers: [GatewayController, UserModelsController],
  providers: [GatewayService, InFlightLimits],
})
export class GatewayModule {}
