import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { KeysModule } from '../keys/keys.module';
import { ProvidersModule } from '../providers/providers.module';
import { RoutingModule } from '../routing/routing.module';
import { UsageModule } from '../usage/usage.module';
import { GatewayController } from './gateway.controller';
import { GatewayService } from './gateway.service';
import { InFlightLimits } from './in-flight-limits';

@Module({
  imports: [CatalogModule, RoutingModule, ProvidersModule, KeysModule, UsageModule],
  controllers: [GatewayController],
  providers: [GatewayService, InFlightLimits],
})
export class GatewayModule {}
