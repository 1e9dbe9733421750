import { Process, Processor } from '@nestjs/bull';
import type { Job } from 'bull';
import { QueueName } from '../common/queue/queue-names';
import { GenerationRecord } from './generation-record';
import { GenerationsRepository } from './generations.repository';

/** Writes generation records; idempotent, so Bull's retries cannot duplicate one. */
@Processor(QueueName.Generations)
export class GenerationWriter {
  constructor(private readonly repo: GenerationsRepository) {}

  @Process({ concurrency: 8 })
  async write(job: Job<GenerationRecord>): Promise<void> {
    await this.repo.insert(job.data);
  }
}
