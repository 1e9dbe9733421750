import { InjectQueue, Process, Processor } from '@nestjs/bull';
import { OnApplicationBootstrap } from '@nestjs/common';
import type { Job, Queue } from 'bull';
import { AppLogger } from '../../common/logging/app-logger';
import { QueueName } from '../../common/queue/queue-names';
import { StripeEventHandler } from './events/stripe-event-handler';
import {
  REQUEUE_AFTER_MS,
  REQUEUE_STRIPE_EVENTS_JOB,
  STRIPE_EVENT_JOB,
  StripeEventJob,
  StripeEventsService,
} from './stripe-events.service';
import { StripeClient } from './stripe.client';

/** Applies stored Stripe events, and every minute re-enqueues those that missed their job. */
@Processor(QueueName.StripeEvents)
export class StripeEventsProcessor implements OnApplicationBootstrap {
  private readonly log: AppLogger;

  constructor(
    @InjectQueue(QueueName.StripeEvents) private readonly queue: Queue,
    private readonly handler: StripeEventHandler,
    private readonly events: StripeEventsService,
    private readonly stripe: StripeClient,
    logger: AppLogger,
  ) {
    this.log = logger.child({ component: 'stripe-events' });
  }

  /** Bull keeps one schedule per name and interval, however many workers register it. */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.stripe.configured) return;
    try {
      await Promise.race([
        this.queue.add(REQUEUE_STRIPE_EVENTS_JOB, {}, { repeat: { every: REQUEUE_AFTER_MS }, removeOnComplete: true, removeOnFail: 100 }),
        new Promise((_, reject) => setTimeout(() => reject(new Error('queue unavailable')), 3000).unref()),
      ]);
    } catch (err) {
      this.log.warn(
        { err: (err as Error).message },
        'could not schedule the stripe event re-enqueue; it will be scheduled on the next start',
      );
    }
  }

  @Process({ name: STRIPE_EVENT_JOB, concurrency: 4 })
  async handle(job: Job<StripeEventJob>): Promise<{ outcome: string }> {
    return { outcome: await this.handler.process(job.data.eventId) };
  }

  @Process(REQUEUE_STRIPE_EVENTS_JOB)
  async requeue(): Promise<{ requeued: number }> {
    return { requeued: this.stripe.configured ? await this.events.requeueStale() : 0 };
  }
}
