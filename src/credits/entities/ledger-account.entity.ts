import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { bigintColumn } from '../../common/money/money';

/**
 * Account kinds. Per user: `available` (spendable), `held` (reserved by requests in flight),
 * `disputed` (set aside while a card dispute is open), `receivable` (what the user owes after a
 * refund or lost dispute of credit already spent; <= 0). Platform: the rest.
 * Sign convention: an account's balance is the sum of its entries; user credit is positive,
 * revenue positive, expenses and the Stripe clearing account (cash received) negative.
 */
export type AccountKind =
  'available' | 'held' | 'disputed' | 'receivable' | 'stripe_clearing' | 'fee_revenue' | 'usage_revenue' | 'dispute_expense' | 'grants';

export const USER_ACCOUNT_KINDS: AccountKind[] = ['available', 'held', 'disputed', 'receivable'];

@Entity('ledger_accounts')
@Index('uq_ledger_accounts_user_kind', ['userId', 'kind'], { unique: true, where: '"user_id" IS NOT NULL' })
@Check('chk_ledger_accounts_user_credit_nonneg', `"kind" NOT IN ('available', 'held', 'disputed') OR "balance" >= 0`)
@Check('chk_ledger_accounts_receivable_nonpos', `"kind" <> 'receivable' OR "balance" <= 0`)
@Check('chk_ledger_accounts_owner', `("user_id" IS NULL) = ("kind" NOT IN ('available', 'held', 'disputed', 'receivable'))`)
export class LedgerAccountEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** `user:<uuid>:available`, `platform:usage_revenue:3`, ... */
  @Index('uq_ledger_accounts_code', { unique: true })
  @Column({ type: 'varchar', length: 100 })
  code: string;

  @Column({ type: 'varchar', length: 20 })
  kind: AccountKind;

  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId: string | null;

  /** The sum of this account's entries, kept in the same transaction as every entry. */
  @Column({ type: 'bigint', default: 0, transformer: bigintColumn })
  balance: bigint;

  /** On a user's `available` account: no new holds (an open payment dispute). */
  @Column({ type: 'boolean', default: false })
  frozen: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
