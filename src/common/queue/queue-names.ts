/** Every Bull queue of the app. Processors live in the feature module that owns the work. */
export enum QueueName {
  /** Periodic housekeeping (expired sessions, stale holds). */
  Maintenance = 'maintenance',
  /** Generation records, written off the request path. */
  Generations = 'generations',
  /** Verified Stripe webhook events, fulfilled off the request path (top-ups, refunds, disputes). */
  StripeEvents = 'stripe-events',
}

export const ALL_QUEUES: QueueName[] = Object.values(QueueName);
