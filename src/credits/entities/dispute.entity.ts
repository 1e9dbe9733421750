import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintColumn } from '../../common/money/money';

/** A card dispute on a top-up, and what was set aside for it (to put back exactly if won). */
@Entity('disputes')
export class DisputeEntity {
  /** Stripe's dispute id (dp_...). */
  @PrimaryColumn({ type: 'varchar', length: 255 })
  id: string;

  @Index('ix_disputes_user')
  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ name: 'topup_id', type: 'uuid' })
  topupId: string;

  @Column({ name: 'amount_nanos', type: 'bigint', transformer: bigintColumn })
  amountNanos: bigint;

  /** Taken from the available balance when the dispute opened. */
  @Column({ name: 'from_available', type: 'bigint', default: 0, transformer: bigintColumn })
  fromAvailable: bigint;

  /** The part already spent, booked as owed (receivable) when the dispute opened. */
  @Column({ name: 'from_receivable', type: 'bigint', default: 0, transformer: bigintColumn })
  fromReceivable: bigint;

  @Column({ type: 'varchar', length: 8, default: 'open' })
  status: 'open' | 'won' | 'lost';

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true })
  closedAt: Date | null;
}
