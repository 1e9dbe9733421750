import { Controller, Get, Headers, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { OpsAccess } from '../metrics/ops-access';
import { HealthReport, HealthService } from './health.service';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthService,
    private readonly access: OpsAccess,
  ) {}

  /**
   * 200 when Postgres, Redis and the queues answer, else 503. Anyone sees the status; which check
   * failed, its error text and the latencies describe the deployment, so only the holder of
   * METRICS_TOKEN sees them.
   */
  @Get()
  async get(
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<HealthReport | Pick<HealthReport, 'status'>> {
    const report = await this.health.check();
    reply.status(report.status === 'ok' ? 200 : 503).header('cache-control', 'no-store');
    return this.access.holdsToken(authorization) ? report : { status: report.status };
  }
}
