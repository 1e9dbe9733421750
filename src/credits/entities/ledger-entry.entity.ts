import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { bigintColumn } from '../../common/money/money';
import { LedgerAccountEntity } from './ledger-account.entity';
import { LedgerJournalEntity } from './ledger-journal.entity';

/** A signed amount on one account within a journal. Append-only (enforced by a trigger). */
@Entity('ledger_entries')
@Index('ix_ledger_entries_account', ['accountId', 'id'])
export class LedgerEntryEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id: string;

  @Index('ix_ledger_entries_journal')
  @Column({ name: 'journal_id', type: 'uuid' })
  journalId: string;

  @ManyToOne(() => LedgerJournalEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'journal_id' })
  journal?: LedgerJournalEntity;

  @Column({ name: 'account_id', type: 'uuid' })
  accountId: string;

  @ManyToOne(() => LedgerAccountEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'account_id' })
  account?: LedgerAccountEntity;

  @Column({ type: 'bigint', transformer: bigintColumn })
  amount: bigint;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
