import { InjectQueue, Process, Processor } from '@nestjs/bull';
import { OnApplicationBootstrap } from '@nestjs/common';
import type { Queue } from 'bull';
import { AppConfig } from '../common/config/app-config';
import { AppLogger } from '../common/logging/app-logger';
import { QueueName } from '../common/queue/queue-names';
import { scheduleRepeatable } from '../common/queue/repeatable';
import { HoldsService } from './holds.service';

export const SWEEP_HOLDS_JOB = 'sweep-holds';

/** A repeatable maintenance job: settle holds that a stopped process left open. */
@Processor(QueueName.Maintenance)
export class HoldSweeper implements OnApplicationBootstrap {
  constructor(
    @InjectQueue(QueueName.Maintenance) private readonly queue: Queue,
    private readonly holds: HoldsService,
    private readonly config: AppConfig,
    private readonly logger: AppLogger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await scheduleRepeatable(this.queue, SWEEP_HOLDS_JOB, this.config.holds.sweepIntervalMs, this.logger);
  }

  @Process(SWEEP_HOLDS_JOB)
  async sweep(): Promise<{ swept: number }> {
    return { swept: await this.holds.sweep() };
  }
}
