import { Module } from '@nestjs/common';
import { EndpointHealthService } from './endpoint-health.service';
import { StickySessionsService } from './sticky-sessions.service';

/** Routing state shared across gateway processes; the selection itself is the pure `planRoute`. */
@Module({
  providers: [EndpointHealthService, StickySessionsService],
  exports: [EndpointHealthService, StickySessionsService],
})
export class RoutingModule {}
