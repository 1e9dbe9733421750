import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { bigintColumn } from '../../common/money/money';
import type { LimitReset } from '../periods';
import { SpendCounters } from './spend-counters';

/** An API key. Only the SHA-256 of the key is stored; the key itself is shown once, at creation. */
@Entity('api_keys')
@Check('chk_api_keys_limit_nonneg', '"limit_nanos" IS NULL OR "limit_nanos" >= 0')
@Check('chk_api_keys_limit_reset', `"limit_reset" IS NULL OR "limit_reset" IN ('daily', 'weekly', 'monthly')`)
@Check('chk_api_keys_held_nonneg', '"held_nanos" >= 0')
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('uq_api_keys_hash', { unique: true })
  @Column({ type: 'char', length: 64 })
  hash: string;

  @Column({ type: 'varchar', length: 40 })
  label: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Index('ix_api_keys_user_id')
  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  // The users module's entity, named rather than imported: only the foreign key crosses modules.
  @ManyToOne('UserEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: unknown;

  /**
   * The OAuth app the key was issued to (null: created by the user). A plain column, no relation:
   * processes that load keys without the oauth module (the worker) must not need its entity, and
   * apps are never deleted.
   */
  @Index('ix_api_keys_app_id')
  @Column({ name: 'app_id', type: 'uuid', nullable: true })
  appId: string | null;

  /** Management keys manage keys; they cannot call inference endpoints. */
  @Column({ name: 'is_management', type: 'boolean', default: false })
  isManagement: boolean;

  @Column({ type: 'boolean', default: false })
  disabled: boolean;

  @Column({ name: 'limit_nanos', type: 'bigint', nullable: true, transformer: bigintColumn })
  limitNanos: bigint | null;

  @Column({ name: 'limit_reset', type: 'varchar', length: 8, nullable: true })
  limitReset: LimitReset | null;

  @Column({ name: 'include_byok_in_limit', type: 'boolean', default: false })
  includeByokInLimit: boolean;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt: Date | null;

  /** Deleted keys stay for the history of what they spent; they never authenticate again. */
  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;

  @Column(() => SpendCounters, { prefix: false })
  spend: SpendCounters;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
