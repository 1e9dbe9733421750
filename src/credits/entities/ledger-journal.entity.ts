import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One money movement: entries summing to zero, recorded once per idempotency key. Append-only. */
@Entity('ledger_journals')
@Index('ix_ledger_journals_user_created', ['userId', 'createdAt'])
export class LedgerJournalEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** `topup:<id>`, `hold:<gen>`, `settle:<gen>`, `refund:<re_…>`, `grant:<uuid>`, ... */
  @Index('uq_ledger_journals_idempotency_key', { unique: true })
  @Column({ name: 'idempotency_key', type: 'varchar', length: 200 })
  idempotencyKey: string;

  @Column({ type: 'varchar', length: 32 })
  kind: string;

  /** The user the movement concerns, for their history (null for platform-only movements). */
  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId: string | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  memo: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
