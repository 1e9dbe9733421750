import { InjectQueue, Process, Processor } from '@nestjs/bull';
import { OnApplicationBootstrap } from '@nestjs/common';
import type { Queue } from 'bull';
import { Clock } from '../common/clock/clock';
import { AppLogger } from '../common/logging/app-logger';
import { QueueName } from '../common/queue/queue-names';
import { scheduleRepeatable } from '../common/queue/repeatable';
import { OAuthRepository } from './oauth.repository';

export const PRUNE_OAUTH_JOB = 'prune-oauth';
export const PRUNE_OAUTH_EVERY_MS = 3_600_000;

/** A repeatable maintenance job: delete consent requests and codes that can no longer be used (as `oauth:prune`). */
@Processor(QueueName.Maintenance)
export class OAuthPruner implements OnApplicationBootstrap {
  private readonly log: AppLogger;

  constructor(
    @InjectQueue(QueueName.Maintenance) private readonly queue: Queue,
    private readonly oauth: OAuthRepository,
    private readonly clock: Clock,
    logger: AppLogger,
  ) {
    this.log = logger.child({ component: 'oauth-pruner' });
  }

  async onApplicationBootstrap(): Promise<void> {
    await scheduleRepeatable(this.queue, PRUNE_OAUTH_JOB, PRUNE_OAUTH_EVERY_MS, this.log);
  }

  @Process(PRUNE_OAUTH_JOB)
  async prune(): Promise<{ requests: number; codes: number }> {
    const removed = await this.oauth.prune(this.clock.now());
    if (removed.requests || removed.codes) this.log.info(removed, 'pruned expired consent requests and codes');
    return removed;
  }
}
