import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, In, IsNull, Not, Repository } from 'typeorm';
import { prepared, PreparedSql } from '../common/database/prepared-sql';
import { queryRows } from '../common/database/sql';
import { ApiKeyEntity } from './entities/api-key.entity';
import type { LimitReset } from './periods';

export interface KeyChanges {
  name?: string;
  disabled?: boolean;
  limitNanos?: bigint | null;
  limitReset?: LimitReset | null;
  includeByokInLimit?: boolean;
  expiresAt?: Date | null;
}

export const KEYS_PAGE_SIZE = 100;

/** What authenticating a request needs to know about its key. */
export interface KeyAuth {
  id: string;
  hash: string;
  userId: string;
  isManagement: boolean;
  disabled: boolean;
  deletedAt: Date | null;
  expiresAt: Date | null;
  limitNanos: bigint | null;
  limitReset: LimitReset | null;
  appId: string | null;
}

const KEY_AUTH = prepared(
  'key_auth',
  `SELECT id, hash, user_id, is_management, disabled, deleted_at, expires_at, limit_nanos::text, limit_reset, app_id
     FROM api_keys WHERE hash = $1`,
);

interface KeyAuthRow {
  id: string;
  hash: string;
  user_id: string;
  is_management: boolean;
  disabled: boolean;
  deleted_at: Date | null;
  expires_at: Date | null;
  limit_nanos: string | null;
  limit_reset: LimitReset | null;
  app_id: string | null;
}

@Injectable()
export class KeysRepository {
  constructor(
    @InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>,
    private readonly sql: PreparedSql,
  ) {}

  /** A key by hash for authenticating a request (on every request path: a prepared statement). */
  async findForAuth(hash: string): Promise<KeyAuth | null> {
    const [r] = await this.sql.rows<KeyAuthRow>(KEY_AUTH, [hash]);
    if (!r) return null;
    return {
      id: r.id,
      hash: r.hash,
      userId: r.user_id,
      isManagement: r.is_management,
      disabled: r.disabled,
      deletedAt: r.deleted_at,
      expiresAt: r.expires_at,
      limitNanos: r.limit_nanos === null ? null : BigInt(r.limit_nanos),
      limitReset: r.limit_reset,
      appId: r.app_id,
    };
  }

  /** With `em`, inside the caller's transaction. */
  insert(
    key: Pick<ApiKeyEntity, 'hash' | 'label' | 'name' | 'userId' | 'isManagement'> & KeyChanges & { appId?: string | null },
    em?: EntityManager,
  ): Promise<ApiKeyEntity> {
    const repo = em ? em.getRepository(ApiKeyEntity) : this.keys;
    return repo.save(repo.create(key));
  }

  /** A key by hash for authentication, deleted or not (the caller decides what counts). */
  findByHash(hash: string): Promise<ApiKeyEntity | null> {
    return this.keys.findOneBy({ hash });
  }

  findOwned(userId: string, hash: string): Promise<ApiKeyEntity | null> {
    return this.keys.findOneBy({ hash, userId, deletedAt: IsNull() });
  }

  listOwned(userId: string, offset: number, includeDisabled: boolean): Promise<ApiKeyEntity[]> {
    return this.keys.find({
      where: { userId, deletedAt: IsNull(), ...(includeDisabled ? {} : { disabled: false }) },
      order: { createdAt: 'DESC', id: 'ASC' },
      skip: offset,
      take: KEYS_PAGE_SIZE,
    });
  }

  async update(id: string, changes: KeyChanges): Promise<void> {
    await this.keys.update({ id }, changes);
  }

  async softDelete(id: string, at: Date): Promise<void> {
    await this.keys.update({ id, deletedAt: IsNull() }, { deletedAt: at, disabled: true });
  }

  /** Live keys issued to apps, for a user's list of authorized apps. */
  listAppKeys(userId: string): Promise<ApiKeyEntity[]> {
    return this.keys.find({ where: { userId, appId: Not(IsNull()), deletedAt: IsNull() }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /**
   * Soft-deletes the live keys matching `where` (all given conditions); returns their hashes.
   * With `em`, inside the caller's transaction.
   */
  async revoke(where: { ids?: string[]; userId?: string; appId?: string }, at: Date, em?: Pick<EntityManager, 'query'>): Promise<string[]> {
    const conditions = ['deleted_at IS NULL'];
    const params: unknown[] = [at];
    if (where.ids) conditions.push(`id = ANY($${params.push(where.ids)}::uuid[])`);
    if (where.userId) conditions.push(`user_id = $${params.push(where.userId)}`);
    if (where.appId) conditions.push(`app_id = $${params.push(where.appId)}`);
    if (params.length === 1) throw new Error('revoke needs at least one condition');
    const rows = await queryRows<{ hash: string }>(
      em ?? this.keys.manager,
      `UPDATE api_keys SET deleted_at = $1, disabled = true, updated_at = now() WHERE ${conditions.join(' AND ')} RETURNING hash`,
      params,
    );
    return rows.map((r) => r.hash);
  }

  /** Names of the user's keys by id, deleted ones included (their requests stay in the history). */
  namesOf(userId: string, ids: string[]): Promise<Pick<ApiKeyEntity, 'id' | 'hash' | 'name' | 'label' | 'appId' | 'deletedAt'>[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.keys.find({
      select: { id: true, hash: true, name: true, label: true, appId: true, deletedAt: true },
      where: { userId, id: In(ids) },
    });
  }
}
