import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { bigintColumn } from '../../common/money/money';

/** A card top-up through Stripe Checkout. What the user is credited is decided here, at creation. */
@Entity('topups')
@Check('chk_topups_amounts', '"amount_cents" > 0 AND "fee_cents" >= 0 AND "refunded_nanos" >= 0')
export class TopupEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('ix_topups_user')
  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  /** Credits bought, in cents (what the user chose). */
  @Column({ name: 'amount_cents', type: 'integer' })
  amountCents: number;

  /** The top-up fee, a separate line item, in cents. */
  @Column({ name: 'fee_cents', type: 'integer' })
  feeCents: number;

  @Column({ type: 'varchar', length: 3, default: 'usd' })
  currency: string;

  /** pending -> credited (once, conditionally) | expired */
  @Column({ type: 'varchar', length: 12, default: 'pending' })
  status: 'pending' | 'credited' | 'expired';

  @Index('uq_topups_checkout_session', { unique: true, where: '"checkout_session_id" IS NOT NULL' })
  @Column({ name: 'checkout_session_id', type: 'varchar', length: 255, nullable: true })
  checkoutSessionId: string | null;

  @Index('ix_topups_payment_intent')
  @Column({ name: 'payment_intent_id', type: 'varchar', length: 255, nullable: true })
  paymentIntentId: string | null;

  /** Credit taken back by refunds so far. */
  @Column({ name: 'refunded_nanos', type: 'bigint', default: 0, transformer: bigintColumn })
  refundedNanos: bigint;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'credited_at', type: 'timestamptz', nullable: true })
  creditedAt: Date | null;
}
