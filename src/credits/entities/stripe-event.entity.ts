import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Every verified Stripe webhook event, stored once by id before it is processed. */
@Entity('stripe_events')
@Index('ix_stripe_events_unprocessed', ['receivedAt'], { where: '"processed_at" IS NULL' })
export class StripeEventEntity {
  @PrimaryColumn({ type: 'varchar', length: 255 })
  id: string;

  @Column({ type: 'varchar', length: 100 })
  type: string;

  @Column({ type: 'jsonb' })
  payload: Record<string, unknown>;

  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' })
  receivedAt: Date;

  @Column({ name: 'processed_at', type: 'timestamptz', nullable: true })
  processedAt: Date | null;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'last_error', type: 'varchar', length: 500, nullable: true })
  lastError: string | null;
}
