import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock } from '../common/clock/clock';
import { queryRows } from '../common/database/sql';
import { AppError } from '../common/errors/app-error';
import { CapsRepository, CounterRow } from './caps.repository';
import { KeysErrors, LimitSource } from './keys.errors';
import { LimitReset, periodStarts, PeriodStarts } from './periods';

export interface KeyLimit {
  limit: bigint | null;
  reset: LimitReset | null;
}

/** Spend of the counter's period that a key limit with this reset applies to. */
export function spendInPeriod(c: CounterRow, reset: LimitReset | null): bigint {
  return reset === 'daily' ? c.day : reset === 'weekly' ? c.week : reset === 'monthly' ? c.month : c.total;
}

const remaining = (cap: bigint | null, spent: bigint, held: bigint): bigint | null =>
  cap === null ? null : cap - spent - held > 0n ? cap - spent - held : 0n;

/**
 * Spending caps per key and per user: their settings, what they leave room for, and why one refused.
 * Holding and settling against them is the money routines' work (sy_hold / sy_settle, see
 * credits/sql/money-routines.sql), in the same transaction as the balance: Postgres decides, with
 * conditional UPDATEs, so they hold across any number of processes; nothing is cached.
 */
@Injectable()
export class CapsService {
  constructor(
    private readonly repo: CapsRepository,
    private readonly clock: Clock,
  ) {}

  /**
   * The most that can be reserved right now for this key and user, and which cap sets it
   * (room null: no cap applies).
   */
  async headroom(keyId: string, userId: string, key: KeyLimit): Promise<{ room: bigint | null; source: LimitSource | null }> {
    const p = periodStarts(this.clock.now());
    const [k, u] = await Promise.all([this.repo.keyCounters(keyId, p), this.repo.userCounters(userId, p)]);
    const candidates: [bigint | null, LimitSource][] = [
      [k ? remaining(key.limit, spendInPeriod(k, key.reset), k.held) : null, key.reset ? (`key_${key.reset}` as LimitSource) : 'key'],
    ];
    if (u) {
      candidates.push([remaining(u.caps.daily, u.day, u.held), 'user_daily']);
      candidates.push([remaining(u.caps.weekly, u.week, u.held), 'user_weekly']);
      candidates.push([remaining(u.caps.monthly, u.month, u.held), 'user_monthly']);
    }
    let best: { room: bigint | null; source: LimitSource | null } = { room: null, source: null };
    for (const [room, source] of candidates) {
      if (room !== null && (best.room === null || room < best.room)) best = { room, source };
    }
    return best;
  }

  /** The 403 for a cap that has no room left. */
  limitError(source: LimitSource | null): AppError {
    return KeysErrors.limitExceeded(source ?? 'key');
  }

  keyCounters(keyId: string): Promise<CounterRow | null> {
    return this.repo.keyCounters(keyId, periodStarts(this.clock.now()));
  }

  userCounters(userId: string) {
    return this.repo.userCounters(userId, periodStarts(this.clock.now()));
  }

  setUserCaps(userId: string, caps: { daily?: bigint | null; weekly?: bigint | null; monthly?: bigint | null }): Promise<void> {
    return this.repo.setUserCaps(userId, caps);
  }

  /** With `em`, inside the caller's transaction (never a second pool connection while holding one). */
  ensureUser(userId: string, em?: EntityManager): Promise<unknown> {
    return this.inTransaction(em, (tx) => this.repo.ensureUserRow(tx, userId));
  }

  private inTransaction<T>(em: EntityManager | undefined, work: (em: EntityManager) => Promise<T>): Promise<T> {
    return em ? work(em) : this.repo.dataSource.transaction(work);
  }

  /** Why the user's caps refused `amount` (a 403 naming the cap), read after the refusal. */
  async explainUserRefusal(userId: string, amount: bigint, em?: EntityManager): Promise<AppError> {
    return KeysErrors.limitExceeded(await this.userLimitSource(em ?? this.repo.dataSource.manager, userId, amount, periodStarts(this.clock.now())));
  }

  /** Why the key refused a reservation: gone, disabled, expired (401) or its limit (403). */
  explainKeyRefusal(keyId: string, em?: EntityManager): Promise<AppError> {
    return this.keyFailure(em ?? this.repo.dataSource.manager, keyId, this.clock.now());
  }

  private async userLimitSource(tx: EntityManager, userId: string, amount: bigint, p: PeriodStarts): Promise<LimitSource> {
    const u = await this.repo.userCounters(userId, p, tx);
    if (u?.caps.daily != null && u.day + u.held + amount > u.caps.daily) return 'user_daily';
    if (u?.caps.weekly != null && u.week + u.held + amount > u.caps.weekly) return 'user_weekly';
    return 'user_monthly';
  }

  private async keyFailure(em: EntityManager, keyId: string, now: Date): Promise<AppError> {
    const rows = (await queryRows(em,
      `SELECT disabled, deleted_at, expires_at, limit_reset FROM api_keys WHERE id = $1`,
      [keyId],
    )) as { disabled: boolean; deleted_at: Date | null; expires_at: Date | null; limit_reset: LimitReset | null }[];
    const key = rows[0];
    if (!key || key.deleted_at) return KeysErrors.invalidKey();
    if (key.disabled) return KeysErrors.disabledKey();
    if (key.expires_at && key.expires_at <= now) return KeysErrors.expiredKey();
    return KeysErrors.limitExceeded(key.limit_reset ? (`key_${key.limit_reset}` as LimitSource) : 'key');
  }
}
