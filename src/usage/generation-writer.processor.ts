import { Process, Processor } from '@nestjs/bull';
import type { Job } from 'bull';
import { AppLogger } from '../common/logging/app-logger';
import { QueueName } from '../common/queue/queue-names';
import { GenerationRecord, logRefused } from './generation-record';
import { GenerationsRepository } from './generations.repository';
import type { GenerationBatch } from './usage.service';

/** Writes generation records; idempotent, so Bull's retries cannot duplicate one. */
@Processor(QueueName.Generations)
export class GenerationWriter {
  private readonly log: AppLogger;

  constructor(
    private readonly repo: GenerationsRepository,
    logger: AppLogger,
  ) {
    this.log = logger.child({ component: 'generation-writer' });
  }

  @Process({ concurrency: 8 })
  async write(job: Job<GenerationBatch | GenerationRecord>): Promise<void> {
    // Jobs queued before records were batched carry one record each.
    const records = 'records' in job.data ? job.data.records : [job.data];
    logRefused(this.log, records, (await this.repo.insert(records)).refused);
  }
}
