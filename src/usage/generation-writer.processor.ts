import { Process, Processor } from '@nestjs/bull';
import type { Job } from 'bull';
import { QueueName } from '../common/queue/queue-names';
import { GenerationRecord } from './generation-record';
import { GenerationsRepository } from './generations.repository';
import type { GenerationBatch } from './usage.service';

/** Writes generation records; idempotent, so Bull's retries cannot duplicate one. */
@Processor(QueueName.Generations)
export class GenerationWriter {
  constructor(private readonly repo: GenerationsRepository) {}

  @Process({ concurrency: 8 })
  async write(job: Job<GenerationBatch | GenerationRecord>): Promise<void> {
    // Jobs queued before records were batched carry one record each.
    await this.repo.insert('records' in job.data ? job.data.records : [job.data]);
  }
}
