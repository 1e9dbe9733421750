import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bull';
import { AppLogger } from '../../common/logging/app-logger';
import { QueueName } from '../../common/queue/queue-names';
import { StripeClient, VerifiedEvent } from './stripe.client';
import { TopupsErrors, WebhookSignatureError } from './topups.errors';
import { TopupsRepository } from './topups.repository';

export const STRIPE_EVENT_JOB = 'event';
export const REQUEUE_STRIPE_EVENTS_JOB = 'requeue';

export interface StripeEventJob {
  eventId: string;
}

const ENQUEUE_TIMEOUT_MS = 1000;
/** An unprocessed event this old without a job is taken to have missed its enqueue. */
export const REQUEUE_AFTER_MS = 60_000;
/** Processing attempts (over all re-enqueues) after which an event is left for an operator. */
const MAX_EVENT_ATTEMPTS = 25;

/**
 * The webhook's side: verify, store once by event id, enqueue, answer. The work happens in the
 * queue; if Redis cannot take a job, the stored row is the record and the re-enqueue job finds it.
 */
@Injectable()
export class StripeEventsService {
  private readonly log: AppLogger;

  constructor(
    @InjectQueue(QueueName.StripeEvents) private readonly queue: Queue<StripeEventJob>,
    private readonly repo: TopupsRepository,
    private readonly stripe: StripeClient,
    logger: AppLogger,
  ) {
    this.log = logger.child({ component: 'stripe-events' });
  }

  /** Verifies a delivery over its raw bytes; nothing is stored or enqueued unless it verifies. */
  async receive(rawBody: Buffer | undefined, signature: string | undefined): Promise<void> {
    if (!this.stripe.configured) throw TopupsErrors.notConfigured();
    let event: VerifiedEvent;
    try {
      event = this.stripe.verifyEvent(rawBody, signature);
    } catch (err) {
      if (!(err instanceof WebhookSignatureError)) throw err;
      this.log.warn({ err: err.message }, 'stripe webhook refused');
      throw TopupsErrors.badSignature();
    }
    const state = await this.repo.storeEvent(event.id, event.type, event.payload);
    if (state !== 'processed') await this.enqueue(event.id);
  }

  /** One job per event id (Bull ignores a second add while the first exists). False if Redis did not take it. */
  async enqueue(eventId: string): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.queue.add(
          STRIPE_EVENT_JOB,
          { eventId },
          { jobId: eventId, attempts: 8, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: true, removeOnFail: 1000 },
        ),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('queue did not accept the job in time')), ENQUEUE_TIMEOUT_MS);
        }),
      ]);
      return true;
    } catch (err) {
      this.log.warn(
        { event: eventId, err: (err as Error).message },
        'stripe event stored but not enqueued; the re-enqueue job will pick it up',
      );
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Puts unprocessed events back on the queue: those whose enqueue was lost, and those whose job
   * ran out of attempts (until the event's own attempt budget is spent). Jobs still waiting or
   * running are left alone. Returns how many were re-queued.
   */
  async requeueStale(olderThanMs = REQUEUE_AFTER_MS): Promise<number> {
    const ids = await this.repo.staleEventIds(olderThanMs, MAX_EVENT_ATTEMPTS, 200);
    let requeued = 0;
    for (const id of ids) {
      const job = await this.queue.getJob(id);
      if (!job) {
        if (await this.enqueue(id)) requeued++;
      } else if (await job.isFailed()) {
        await job.retry();
        requeued++;
      }
    }
    if (requeued > 0) this.log.info({ requeued }, 'stripe events re-enqueued');
    return requeued;
  }
}
