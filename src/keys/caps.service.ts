import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock } from '../common/clock/clock';
import { queryRows } from '../common/database/sql';
import { AppError } from '../common/errors/app-error';
import { CapsRepository, CounterRow } from './caps.repository';
import { KeysErrors, LimitShortfall, LimitSource } from './keys.errors';
import { LimitReset, periodStarts, PeriodStarts } from './periods';

export interface KeyLimit {
  limit: bigint | null;
  reset: LimitReset | null;
}

/** Spend of the counter's period that a key limit with this reset applies to. */
export function spendInPeriod(c: CounterRow, reset: LimitReset | null): bigint {
  return reset === 'daily' ? c.day : reset === 'weekly' ? c.week : reset === 'monthly' ? c.month : c.total;
}

/** A cap that applies to a request: its amount and what is left of it now (held money counts as spent). */
export interface CapRoom {
  source: LimitSource;
  limit: bigint;
  room: bigint;
}

const capRoom = (source: LimitSource, limit: bigint | null, spent: bigint, held: bigint): CapRoom[] =>
  limit === null ? [] : [{ source, limit, room: limit - spent - held > 0n ? limit - spent - held : 0n }];

const keySource = (reset: LimitReset | null): LimitSource => (reset ? (`key_${reset}` as LimitSource) : 'key');

/** The user's caps, daily first (the order a refusal names them in when several are short). */
function userCaps(u: NonNullable<Awaited<ReturnType<CapsRepository['userCounters']>>>): CapRoom[] {
  return [
    ...capRoom('user_daily', u.caps.daily, u.day, u.held),
    ...capRoom('user_weekly', u.caps.weekly, u.week, u.held),
    ...capRoom('user_monthly', u.caps.monthly, u.month, u.held),
  ];
}

/** The cap that refuses `amount`: the first one short of it, else (it was read after others settled) the tightest. */
function refusingCap(caps: CapRoom[], amount: bigint): CapRoom | null {
  return (
    caps.find((c) => c.room < amount) ?? caps.reduce<CapRoom | null>((best, c) => (best === null || c.room < best.room ? c : best), null)
  );
}

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
  async headroom(
    keyId: string,
    userId: string,
    key: KeyLimit,
  ): Promise<{ room: bigint | null; source: LimitSource | null; limit: bigint | null }> {
    const p = periodStarts(this.clock.now());
    const [k, u] = await Promise.all([this.repo.keyCounters(keyId, p), this.repo.userCounters(userId, p)]);
    const caps = [...(k ? capRoom(keySource(key.reset), key.limit, spendInPeriod(k, key.reset), k.held) : []), ...(u ? userCaps(u) : [])];
    let best: { room: bigint | null; source: LimitSource | null; limit: bigint | null } = { room: null, source: null, limit: null };
    for (const c of caps) {
      if (best.room === null || c.room < best.room) best = { room: c.room, source: c.source, limit: c.limit };
    }
    return best;
  }

  /** The 403 for a cap that refused a request, with by how much when known. */
  limitError(source: LimitSource | null, shortfall?: LimitShortfall): AppError {
    return KeysErrors.limitExceeded(source ?? 'key', shortfall);
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
    const cap = await this.userRefusal(em ?? this.repo.dataSource.manager, userId, amount, periodStarts(this.clock.now()));
    return cap
      ? KeysErrors.limitExceeded(cap.source, { limit: cap.limit, remaining: cap.room, needed: amount })
      : KeysErrors.limitExceeded('user_monthly');
  }

  /** Why the key refused a reservation of `amount`: gone, disabled, expired (401) or its limit (403). */
  explainKeyRefusal(keyId: string, amount?: bigint, em?: EntityManager): Promise<AppError> {
    return this.keyFailure(em ?? this.repo.dataSource.manager, keyId, this.clock.now(), amount);
  }

  /**
   * The user cap that refused `amount`, read after the refusal. Only caps that are set are named:
   * when requests settled meanwhile and none is short any more, the tightest one is.
   */
  private async userRefusal(tx: EntityManager, userId: string, amount: bigint, p: PeriodStarts): Promise<CapRoom | null> {
    const u = await this.repo.userCounters(userId, p, tx);
    return u ? refusingCap(userCaps(u), amount) : null;
  }

  private async userLimitSource(tx: EntityManager, userId: string, amount: bigint, p: PeriodStarts): Promise<LimitSource> {
    return (await this.userRefusal(tx, userId, amount, p))?.source ?? 'user_monthly';
  }

  private async keyFailure(em: EntityManager, keyId: string, now: Date, amount?: bigint): Promise<AppError> {
    const rows = (await queryRows(
      em,
      `SELECT disabled, deleted_at, expires_at, limit_reset, limit_nanos::text AS limit_nanos FROM api_keys WHERE id = $1`,
      [keyId],
    )) as {
      disabled: boolean;
      deleted_at: Date | null;
      expires_at: Date | null;
      limit_reset: LimitReset | null;
      limit_nanos: string | null;
    }[];
    const key = rows[0];
    if (!key || key.deleted_at) return KeysErrors.invalidKey();
    if (key.disabled) return KeysErrors.disabledKey();
    if (key.expires_at && key.expires_at <= now) return KeysErrors.expiredKey();
    const source = keySource(key.limit_reset);
    const counters = amount !== undefined && key.limit_nanos !== null ? await this.repo.keyCounters(keyId, periodStarts(now), em) : null;
    if (!counters) return KeysErrors.limitExceeded(source);
    const [cap] = capRoom(source, BigInt(key.limit_nanos!), spendInPeriod(counters, key.limit_reset), counters.held);
    return KeysErrors.limitExceeded(source, { limit: cap.limit, remaining: cap.room, needed: amount! });
  }
}
