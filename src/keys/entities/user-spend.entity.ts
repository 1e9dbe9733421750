import { Check, Column, Entity, JoinColumn, OneToOne, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { bigintColumn } from '../../common/money/money';
import { SpendCounters } from './spend-counters';

/** A user's own spending caps, binding across all their keys and apps, and the counters behind them. */
@Entity('user_spend')
@Check(
  'chk_user_spend_caps_nonneg',
  '("cap_daily_nanos" IS NULL OR "cap_daily_nanos" >= 0) AND ("cap_weekly_nanos" IS NULL OR "cap_weekly_nanos" >= 0) AND ("cap_monthly_nanos" IS NULL OR "cap_monthly_nanos" >= 0)',
)
@Check('chk_user_spend_held_nonneg', '"held_nanos" >= 0')
export class UserSpendEntity {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId: string;

  // The users module's entity, named rather than imported: only the foreign key crosses modules.
  @OneToOne('UserEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: unknown;

  @Column({ name: 'cap_daily_nanos', type: 'bigint', nullable: true, transformer: bigintColumn })
  capDaily: bigint | null;

  @Column({ name: 'cap_weekly_nanos', type: 'bigint', nullable: true, transformer: bigintColumn })
  capWeekly: bigint | null;

  @Column({ name: 'cap_monthly_nanos', type: 'bigint', nullable: true, transformer: bigintColumn })
  capMonthly: bigint | null;

  @Column(() => SpendCounters, { prefix: false })
  spend: SpendCounters;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
