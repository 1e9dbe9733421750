import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, IsNull, Not, Repository } from 'typeorm';
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

@Injectable()
export class KeysRepository {
  constructor(@InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>) {}

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
}
