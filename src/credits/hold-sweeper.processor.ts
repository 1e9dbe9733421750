import { InjectQueue, Process, Processor } from '@nestjs/bull';
import { OnApplicationBootstrap } from '@nestjs/common';
import type { Queue } from 'bull';
import { AppConfig } from '../common/config/app-config';
import { AppLogger } from '../common/logging/app-logger';
import { QueueName } from '../common/queue/queue-names';
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

  /** Bull keeps one schedule per name and interval, however many workers register it. */
  async onApplicationBootstrap(): Promise<void> {
    const every = this.config.holds.sweepIntervalMs;
    try {
      await Promise.race([
        this.queue.add(SWEEP_HOLDS_JOB, {}, { repeat: { every }, removeOnComplete: true, removeOnFail: 100 }),
        new Promise((_, reject) => setTimeout(() => reject(new Error('queue unavailable')), 3000).unref()),
      ]);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'could not schedule the hold sweeper; it will be scheduled on the next start');
    }
  }

  @Process(SWEEP_HOLDS_JOB)
  async sweep(): Promise<{ swept: number }> {
    return { swept: await this.holds.sweep() };
  }
}
