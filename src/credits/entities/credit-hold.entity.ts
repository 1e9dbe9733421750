import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintColumn } from '../../common/money/money';

/**
 * The reservation behind one request: created with the hold, resolved exactly once (a conditional
 * status change), by the request itself or by the sweeper if its process died.
 */
@Entity('credit_holds')
@Index('ix_credit_holds_open', ['createdAt'], { where: `"status" = 'open'` })
@Check('chk_credit_holds_amounts', '"amount" >= 0 AND ("actual" IS NULL OR ("actual" >= 0 AND "actual" <= "amount"))')
export class CreditHoldEntity {
  /** The generation id of the request. */
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ name: 'key_id', type: 'uuid' })
  keyId: string;

  @Column({ type: 'bigint', transformer: bigintColumn })
  amount: bigint;

  /** What the prompt alone costs at the endpoint's price: the least a swept hold settles at. */
  @Column({ name: 'prompt_cost', type: 'bigint', default: 0, transformer: bigintColumn })
  promptCost: bigint;

  /** Completion price (nanodollars per million tokens) for pricing progress the sweeper finds. */
  @Column({ name: 'completion_price', type: 'bigint', default: 0, transformer: bigintColumn })
  completionPrice: bigint;

  @Column({ type: 'varchar', length: 10, default: 'open' })
  status: 'open' | 'settled';

  @Column({ type: 'bigint', nullable: true, transformer: bigintColumn })
  actual: bigint | null;

  /** completed | cancelled | error | swept */
  @Column({ type: 'varchar', length: 16, nullable: true })
  reason: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'settled_at', type: 'timestamptz', nullable: true })
  settledAt: Date | null;
}
