import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
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

  insert(key: Pick<ApiKeyEntity, 'hash' | 'label' | 'name' | 'userId' | 'isManagement'> & KeyChanges): Promise<ApiKeyEntity> {
    return this.keys.save(this.keys.create(key));
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
}
