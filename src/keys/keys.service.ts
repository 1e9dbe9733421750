import { Injectable, Optional } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Clock } from '../common/clock/clock';
import { AppError } from '../common/errors/app-error';
import { retryIdempotentRead } from '../common/database/connection-faults';
import { nanosToUsd, usdToNanos } from '../common/money/money';
import { CapsService, spendInPeriod } from './caps.service';
import { CounterRow } from './caps.repository';
import { CreateKeyDto } from './dto/create-key.dto';
import { CurrentKeyDto, KeyDto } from './dto/key.dto';
import { KeySettingsDto } from './dto/key-settings.dto';
import { UpdateKeyDto } from './dto/update-key.dto';
import { SpendCounters } from './entities/spend-counters';
import { ApiKeyEntity } from './entities/api-key.entity';
import { FreeModelLimits } from './free-model-limits';
import { generateKey, hashKey, isWellFormedKey } from './key-format';
import { KeysErrors } from './keys.errors';
import { KeyAuth, KeyChanges, KeysRepository } from './keys.repository';
import { periodStarts } from './periods';
import { KeyPrincipal, Principal } from './principal';
import { PurchaseHistory } from './purchase-history';

/**
 * How long a process trusts a key it looked up. Short, so that disabling or deleting a key takes
 * effect on every process within a second without any cross-process messaging.
 */
const KEY_CACHE_MS = 250;
const KEY_CACHE_MAX = 10_000;

export interface KeyName {
  hash: string;
  name: string;
  label: string;
  appId: string | null;
  deleted: boolean;
}

interface CachedKey {
  key: KeyAuth;
  until: number;
}

@Injectable()
export class KeysService {
  private readonly cache = new Map<string, CachedKey>();

  constructor(
    private readonly repo: KeysRepository,
    private readonly caps: CapsService,
    private readonly clock: Clock,
    private readonly freeLimits: FreeModelLimits,
    @Optional() private readonly purchases?: PurchaseHistory,
  ) {}

  /** The principal behind an `Authorization: Bearer` header, or a 401. */
  async authenticate(authorization: string | undefined): Promise<KeyPrincipal> {
    const m = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
    if (!m) throw KeysErrors.missingKey();
    if (!isWellFormedKey(m[1])) throw KeysErrors.invalidKey();
    const hash = hashKey(m[1]);
    const key = await this.lookup(hash);
    if (!key || key.deletedAt) throw KeysErrors.invalidKey();
    if (key.disabled) throw KeysErrors.disabledKey();
    if (key.expiresAt && key.expiresAt.getTime() <= this.clock.nowMs()) throw KeysErrors.expiredKey();
    return {
      kind: 'key',
      keyId: key.id,
      keyHash: key.hash,
      userId: key.userId,
      isManagement: key.isManagement,
      limit: { limit: key.limitNanos, reset: key.limitReset },
      appId: key.appId,
      expiresAt: key.expiresAt,
    };
  }

  async create(actor: Principal, dto: CreateKeyDto): Promise<{ data: KeyDto; key: string }> {
    if (dto.management && actor.kind === 'key') throw KeysErrors.managementKeyCannotMintManagementKeys();
    const changes = this.changesFrom(dto);
    // A key minted by an expiring management key expires with it unless it asks for earlier.
    if (actor.kind === 'key' && actor.expiresAt && changes.expiresAt === undefined) changes.expiresAt = actor.expiresAt;
    this.checkExpiryWithin(actor, changes);
    const created = await this.createFor(actor.userId, {
      name: dto.name,
      isManagement: dto.management ?? false,
      ...changes,
    });
    return { data: this.toDto(created.entity), key: created.key };
  }

  /** Creates a key for a user; the only place a full key exists, returned once. */
  async createFor(
    userId: string,
    fields: { name: string; isManagement?: boolean } & KeyChanges,
  ): Promise<{ entity: ApiKeyEntity; key: string }> {
    const material = generateKey();
    await this.caps.ensureUser(userId);
    const entity = await this.repo.insert({
      hash: material.hash,
      label: material.label,
      userId,
      isManagement: false,
      ...fields,
    });
    return { entity, key: material.key };
  }

  /**
   * Creates a user's key for an OAuth app inside the caller's transaction (the code exchange), so
   * that the key exists exactly when the code is consumed. Returns the full key, once.
   */
  async createForApp(
    em: EntityManager,
    userId: string,
    fields: { name: string; appId: string; limitNanos: bigint | null; limitReset: KeyChanges['limitReset'] },
  ): Promise<{ keyId: string; key: string }> {
    const material = generateKey();
    await this.caps.ensureUser(userId, em);
    const entity = await this.repo.insert({ hash: material.hash, label: material.label, userId, isManagement: false, ...fields }, em);
    return { keyId: entity.id, key: material.key };
  }

  /** The key behind a full key string, if it is one of ours and live (for OAuth revocation). */
  async findLiveByKey(key: string): Promise<{ keyId: string; userId: string; appId: string | null } | null> {
    if (!isWellFormedKey(key)) return null;
    const found = await this.repo.findByHash(hashKey(key));
    return found && !found.deletedAt ? { keyId: found.id, userId: found.userId, appId: found.appId } : null;
  }

  /**
   * Revokes (soft-deletes) keys; with `em`, inside the caller's transaction. This process forgets
   * them at once, every other one within KEY_CACHE_MS.
   */
  async revoke(where: { ids?: string[]; userId?: string; appId?: string }, em?: EntityManager): Promise<number> {
    const hashes = await this.repo.revoke(where, this.clock.now(), em);
    for (const h of hashes) this.cache.delete(h);
    return hashes.length;
  }

  /** A user's live app keys, as the keys API shows them, with the app each belongs to. */
  async listAppKeys(userId: string): Promise<(KeyDto & { app_id: string })[]> {
    const keys = await this.repo.listAppKeys(userId);
    return keys.map((k) => ({ ...this.toDto(k), app_id: k.appId! }));
  }

  /** How to show the user's keys of these ids (deleted ones too); ids of other users are left out. */
  async names(userId: string, ids: string[]): Promise<Map<string, KeyName>> {
    const rows = await this.repo.namesOf(userId, [...new Set(ids)]);
    return new Map(rows.map((k) => [k.id, { hash: k.hash, name: k.name, label: k.label, appId: k.appId, deleted: k.deletedAt !== null }]));
  }

  /** The id of the user's key with this hash (deleted or not), for filtering its history; else null. */
  async idOfHash(userId: string, hash: string): Promise<string | null> {
    if (!/^[0-9a-f]{64}$/.test(hash)) return null;
    const key = await this.repo.findByHash(hash);
    return key && key.userId === userId ? key.id : null;
  }

  async list(actor: Principal, offset = 0, includeDisabled = false): Promise<KeyDto[]> {
    const keys = await this.repo.listOwned(actor.userId, offset, includeDisabled);
    return keys.map((k) => this.toDto(k));
  }

  async get(actor: Principal, hash: string): Promise<KeyDto> {
    return this.toDto(await this.owned(actor, hash));
  }

  async update(actor: Principal, hash: string, dto: UpdateKeyDto): Promise<KeyDto> {
    const key = await this.owned(actor, hash);
    const settings = this.changesFrom(dto);
    this.checkKeyMayChange(actor, key, settings);
    const changes = {
      ...settings,
      ...(dto.name !== undefined ? { name: dto.name } : {}),
      ...(dto.disabled !== undefined ? { disabled: dto.disabled } : {}),
    };
    if (Object.keys(changes).length) await this.repo.update(key.id, changes);
    this.cache.delete(hash);
    return this.toDto((await this.repo.findOwned(actor.userId, hash))!);
  }

  async remove(actor: Principal, hash: string): Promise<void> {
    const key = await this.owned(actor, hash);
    if (actor.kind === 'key' && key.isManagement && key.id !== actor.keyId) throw KeysErrors.managementKeyCannotTouchManagementKeys();
    await this.repo.softDelete(key.id, this.clock.now());
    this.cache.delete(hash);
  }

  async current(principal: KeyPrincipal, rateLimitRpm: number): Promise<CurrentKeyDto> {
    const key = await this.repo.findByHash(principal.keyHash);
    if (!key) throw KeysErrors.invalidKey();
    const { hash, disabled, created_at, updated_at, external_user, ...shared } = this.toDto(key);
    const purchased = this.purchases ? await this.purchases.purchasedNanos(key.userId) : 0n;
    return {
      ...shared,
      is_free_tier: purchased === 0n,
      is_provisioning_key: key.isManagement,
      allowed_data_regions: ['global'],
      free_model_daily_requests: await this.freeLimits.daily(key.userId, purchased),
      organization_id: null,
      rate_limit: { requests: rateLimitRpm, interval: '1m', note: 'This field is deprecated and safe to ignore.' },
    };
  }

  private async owned(actor: Principal, hash: string): Promise<ApiKeyEntity> {
    // Another user's key answers exactly like a missing one, so hashes cannot be probed.
    const key = /^[0-9a-f]{64}$/.test(hash) ? await this.repo.findOwned(actor.userId, hash) : null;
    if (!key) throw KeysErrors.keyNotFound();
    return key;
  }

  /**
   * What a management key may do to a key of its user (a signed-in session may do anything):
   * - another management key: nothing (neither change nor delete);
   * - itself: rename, disable or delete, never touch its own expiry or limit settings;
   * - an inference key: anything, but when the management key expires, the key's expiry must stay
   *   set and no later than the management key's.
   */
  private checkKeyMayChange(actor: Principal, key: ApiKeyEntity, changes: KeyChanges): void {
    if (actor.kind !== 'key') return;
    if (key.isManagement && key.id !== actor.keyId) throw KeysErrors.managementKeyCannotTouchManagementKeys();
    if (key.id === actor.keyId) {
      const touched = ['expiresAt', 'limitNanos', 'limitReset', 'includeByokInLimit'] as const;
      if (touched.some((f) => changes[f] !== undefined)) throw KeysErrors.managementKeyCannotExtendItself();
      return;
    }
    this.checkExpiryWithin(actor, changes);
  }

  private checkExpiryWithin(actor: Principal, changes: KeyChanges): void {
    if (actor.kind !== 'key' || !actor.expiresAt || changes.expiresAt === undefined) return;
    if (changes.expiresAt === null || changes.expiresAt.getTime() > actor.expiresAt.getTime()) {
      throw KeysErrors.beyondManagementKeyExpiry(actor.expiresAt);
    }
  }

  private async lookup(hash: string): Promise<KeyAuth | null> {
    const now = this.clock.nowMs();
    const hit = this.cache.get(hash);
    if (hit && hit.until > now) return hit.key;
    const key = await retryIdempotentRead(() => this.repo.findForAuth(hash));
    if (key) {
      if (this.cache.size >= KEY_CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(hash, { key, until: now + KEY_CACHE_MS });
    }
    return key;
  }

  private changesFrom(dto: KeySettingsDto): KeyChanges {
    const changes: KeyChanges = {};
    if (dto.limit !== undefined) changes.limitNanos = dto.limit === null ? null : usdToNanos(dto.limit);
    if (dto.limit_reset !== undefined) changes.limitReset = dto.limit_reset;
    if (dto.include_byok_in_limit !== undefined) changes.includeByokInLimit = dto.include_byok_in_limit;
    if (dto.expires_at !== undefined) {
      const at = dto.expires_at === null ? null : new Date(dto.expires_at);
      if (at && at.getTime() <= this.clock.nowMs()) {
        throw new AppError('validation_failed', 'expires_at must be in the future', {
          fields: [{ field: 'expires_at', messages: ['expires_at must be in the future'] }],
        });
      }
      changes.expiresAt = at;
    }
    return changes;
  }

  private toDto(k: ApiKeyEntity): KeyDto {
    const c = currentCounters(k.spend, this.clock.now());
    const spent = spendInPeriod(c, k.limitReset);
    const remaining = k.limitNanos === null ? null : k.limitNanos - spent - c.held > 0n ? k.limitNanos - spent - c.held : 0n;
    return {
      hash: k.hash,
      name: k.name,
      label: k.label,
      disabled: k.disabled,
      limit: k.limitNanos === null ? null : nanosToUsd(k.limitNanos),
      limit_remaining: remaining === null ? null : nanosToUsd(remaining),
      limit_reset: k.limitReset,
      include_byok_in_limit: k.includeByokInLimit,
      usage: nanosToUsd(c.total),
      usage_daily: nanosToUsd(c.day),
      usage_weekly: nanosToUsd(c.week),
      usage_monthly: nanosToUsd(c.month),
      byok_usage: 0,
      byok_usage_daily: 0,
      byok_usage_weekly: 0,
      byok_usage_monthly: 0,
      created_at: k.createdAt.toISOString(),
      updated_at: k.updatedAt.toISOString(),
      expires_at: k.expiresAt ? k.expiresAt.toISOString() : null,
      creator_user_id: k.userId,
      external_user: null,
      workspace_id: k.userId,
      is_management_key: k.isManagement,
    };
  }
}

/** A row's counters as of now: a period whose start is not the current one counts as zero. */
export function currentCounters(s: SpendCounters, now: Date): CounterRow {
  const p = periodStarts(now);
  return {
    held: s.held,
    total: s.total,
    day: s.dayStart >= p.day ? s.day : 0n,
    week: s.weekStart >= p.week ? s.week : 0n,
    month: s.monthStart >= p.month ? s.month : 0n,
  };
}
