import { Global, Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { OpsAccess } from './ops-access';

@Global()
@Module({ controllers: [MetricsController], providers: [MetricsService, OpsAccess], exports: [MetricsService, OpsAccess] })
export class MetricsModule {}
