import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { EndpointHealthService } from './endpoint-health.service';
import { RouterService } from './router.service';
import { StickySessionsService } from './sticky-sessions.service';

/**
 * Routing for the gateway, through RouterService (plan, report); the health statistics and sticky
 * sessions it keeps are shared across gateway processes. The selection itself is the pure `planRoute`.
 */
@Module({
  imports: [CatalogModule],
  providers: [EndpointHealthService, StickySessionsService, RouterService],
  exports: [RouterService],
})
export class RoutingModule {}
