import { Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Clock } from '../common/clock/clock';
import { AppConfig } from '../common/config/app-config';
import { AppLogger } from '../common/logging/app-logger';
import { CapsService, KeyLimit } from '../keys/caps.service';
import type { LimitSource } from '../keys/keys.errors';
import { CreditsErrors } from './credits.errors';
import { periodStarts } from '../keys/periods';
import { HoldStores } from './hold-stores';
import { HoldCursor, NewHold, HoldsRepository, OpenHold } from './holds.repository';
import { accountCode, usageShardFor } from './ledger';
import { LedgerService } from './ledger.service';
import { RedisService } from '../common/redis/redis.service';
import { sweptCost } from './swept-cost';

export type BudgetSource = LimitSource | 'balance';

export interface Budget {
  /** The most a request may hold now; null when nothing limits it. */
  room: bigint | null;
  source: BudgetSource | null;
  /** The amount of the cap that sets `room` (null when the balance or nothing does). */
  limit: bigint | null;
}

const HEARTBEAT_EVERY_MS = 5000;
/** How often relayed progress is written for the sweeper, after the first output (written at once). */
const PROGRESS_EVERY_MS = 250;
/** Holds the sweeper reads per page (Redis MGET and Postgres page size). */
const SWEEP_PAGE = 500;
/** A failed settlement is tried again after these pauses, the hold kept alive meanwhile. */
const SETTLE_RETRY_MS = [100, 300, 1000, 3000, 10_000];
/** How long a cost handed over to the sweeper is kept (far beyond any hold TTL). */
const HANDOVER_TTL_MS = 7 * 24 * 3600 * 1000;
/** The ids of holds whose cost was handed over: the sweeper settles them without waiting for the TTL. */
const HANDED_OVER_SET = 'hold:dues';

/** What the sweeper needs to record a request it settles: given by the caller, stored as is. */
export type HoldContext = Record<string, unknown>;

/** A hold the sweeper settled: what it billed, for the request's record. */
export interface SweptHold {
  id: string;
  cost: bigint;
  amount: bigint;
  /** Output tokens the request had reported relaying. */
  tokens: number;
  /** The exact cost its process handed over when its own settlement failed. */
  handedOver: boolean;
  context: HoldContext | null;
}

/**
 * Request billing on the ledger: a hold reserves a request's maximum cost on the user's balance,
 * the user's caps and the key's limit in one transaction; settlement books the actual cost and
 * releases the rest, exactly once (a conditional status change on the hold row). Holds whose
 * process died are found by their missing heartbeat and settled by the sweeper.
 */
@Injectable()
export class HoldsService implements OnModuleInit, OnApplicationShutdown {
  private readonly log: AppLogger;
  /** In-flight holds of this process and the output tokens they have relayed (estimated). */
  private readonly live = new Map<string, number>();
  /** Holds whose progress changed since it was last written. */
  private readonly dirty = new Set<string>();
  private timer?: NodeJS.Timeout;
  private progressTimer?: NodeJS.Timeout;
  private readonly sweptListeners: ((swept: SweptHold[]) => Promise<void>)[] = [];

  private readonly ledger: LedgerService;
  private readonly holds: HoldsRepository;
  private readonly redis: RedisService;

  constructor(
    private readonly stores: HoldStores,
    private readonly caps: CapsService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    logger: AppLogger,
  ) {
    this.log = logger.child({ component: 'holds' });
    ({ rows: this.holds, ledger: this.ledger, redis: this.redis } = stores);
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.beat(), Math.min(HEARTBEAT_EVERY_MS, this.config.holds.ttlMs / 3));
    this.timer.unref();
    this.progressTimer = setInterval(() => void this.flushProgress(), PROGRESS_EVERY_MS);
    this.progressTimer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    clearInterval(this.progressTimer);
  }

  /** Called with the holds each sweep settled (to record their requests). */
  onSwept(listener: (swept: SweptHold[]) => Promise<void>): void {
    this.sweptListeners.push(listener);
  }

  /** What the caller can spend now: the lowest of the caps' room and the available balance. */
  async budget(keyId: string, userId: string, limit: KeyLimit): Promise<Budget> {
    const [caps, b] = await Promise.all([this.caps.headroom(keyId, userId, limit), this.ledger.balances(userId)]);
    const balanceRoom = b.frozen || b.receivable < 0n ? 0n : b.available;
    if (caps.room !== null && caps.room < balanceRoom) return { room: caps.room, source: caps.source, limit: caps.limit };
    return { room: balanceRoom, source: 'balance', limit: null };
  }

  /**
   * The error for a request its budget cannot pay `needed` for, by what sets the budget: a cap
   * (403 naming it, and by how much), or the balance (402, or 403 frozen).
   */
  async exhausted(userId: string, budget: Budget, needed: bigint): Promise<Error> {
    if (budget.source !== 'balance') {
      const shortfall = budget.limit !== null && budget.room !== null ? { limit: budget.limit, remaining: budget.room, needed } : undefined;
      return this.caps.limitError(budget.source, shortfall);
    }
    return this.balanceError(userId);
  }

  /**
   * Holds `amount` for request `id` on balance, caps and key limit, atomically, in one round trip
   * (`sy_hold`); throws (402 balance, 403 caps or frozen, 401 key gone) and holds nothing when any
   * of them refuses.
   */
  async hold(h: NewHold): Promise<void> {
    const now = this.clock.now();
    const p = periodStarts(now);
    const refusal = await this.holds.create(h, now, p);
    if (refusal === 'user_cap') throw await this.caps.explainUserRefusal(h.userId, h.amount);
    if (refusal === 'key') throw await this.caps.explainKeyRefusal(h.keyId, h.amount);
    if (refusal === 'balance') throw await this.balanceError(h.userId);
    // The heartbeat is written by beat() for every live hold; the sweeper only looks at holds
    // older than the TTL, long after the first beat.
    this.live.set(h.id, 0);
  }

  /** The request has relayed about this many output tokens so far (what the sweeper bills if we die). */
  progress(id: string, tokens: number): void {
    if (!this.live.has(id)) return;
    this.live.set(id, tokens);
    this.dirty.add(id);
  }

  /**
   * The request's first output: its progress and what the sweeper needs to record it are written
   * now, not at the next heartbeat, so a process killed right after still leaves both. Failing to
   * write is logged; the next progress write tries again.
   */
  async started(id: string, tokens: number, context: HoldContext): Promise<void> {
    if (!this.live.has(id)) return;
    this.live.set(id, tokens);
    this.dirty.delete(id);
    const ttl = this.config.holds.ttlMs * 4;
    await this.redis.client
      .pipeline()
      .set(`hold:progress:${id}`, String(tokens), 'PX', ttl)
      .set(`hold:ctx:${id}`, JSON.stringify(context), 'PX', ttl)
      .exec()
      .catch((err: Error) => this.log.warn({ err: err.message, hold: id }, 'hold progress not written'));
  }

  /**
   * Settles a request's hold, whatever it takes: a failed call is tried again with backoff while
   * this process keeps the hold alive (the sweeper never settles a live request's hold). From the
   * first failure on, the exact cost is handed over in Redis, where the sweeper finds it if the
   * retries run out or the process dies. False when the hold was settled already: by the sweeper,
   * if this process stalled past the TTL, and then what the sweeper booked short of `actual` is
   * booked now (`sy_settle_late`, once, owed if the balance cannot cover it).
   */
  async settleReliably(id: string, actual: bigint, reason: 'completed' | 'cancelled' | 'error', context: HoldContext): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        const ok = await this.settle(id, actual, reason);
        if (attempt > 0) await this.forgetHandOver(id);
        if (!ok) await this.settleLate(id, actual);
        return ok;
      } catch (err) {
        if (attempt === 0) await this.handOver(id, actual, context);
        if (attempt >= SETTLE_RETRY_MS.length) {
          // Given up: the heartbeat goes, and the sweeper books the handed-over cost at its next
          // pass (should the delete fail, once the heartbeat expires).
          this.live.delete(id);
          await this.redis.client.del(`hold:hb:${id}`).catch(() => undefined);
          throw err;
        }
        this.log.warn(
          { err: (err as Error).message, hold: id, cost: actual.toString(), attempt: attempt + 1 },
          'settlement failed, trying again',
        );
        await new Promise((r) => setTimeout(r, SETTLE_RETRY_MS[attempt]));
      }
    }
  }

  /** Books what a settlement that came after the sweeper's knows beyond it; the amount booked. */
  async settleLate(id: string, actual: bigint): Promise<bigint> {
    const p = periodStarts(this.clock.now());
    const booked = await this.holds.settleLate(id, actual, p, accountCode(usageShardFor(id)));
    if (booked > 0n) this.log.warn({ hold: id, booked: booked.toString() }, 'settlement after the sweeper: difference booked');
    return booked;
  }

  /**
   * The cost, for the sweeper, which settles a handed-over hold at its next pass once no heartbeat
   * vouches for it: the heartbeat is written here too, so a hold younger than the first beat is
   * not taken from the retries.
   */
  private async handOver(id: string, actual: bigint, context: HoldContext): Promise<void> {
    await this.redis.client
      .pipeline()
      .set(`hold:hb:${id}`, String(this.live.get(id) ?? 0), 'PX', this.config.holds.ttlMs)
      .set(`hold:ctx:${id}`, JSON.stringify(context), 'PX', HANDOVER_TTL_MS)
      .set(`hold:due:${id}`, actual.toString(), 'PX', HANDOVER_TTL_MS)
      .sadd(HANDED_OVER_SET, id)
      .exec()
      .catch((err: Error) => this.log.error({ err: err.message, hold: id, cost: actual.toString() }, 'settlement cost not handed over'));
  }

  private async forgetHandOver(id: string, withContext = false): Promise<void> {
    const keys = withContext ? [`hold:due:${id}`, `hold:ctx:${id}`] : [`hold:due:${id}`];
    await this.redis.client
      .pipeline()
      .del(...keys)
      .srem(HANDED_OVER_SET, id)
      .exec()
      .catch(() => undefined);
  }

  /**
   * Books `actual` (capped at the hold) and releases the rest, exactly once, together with the other
   * settlements of the same few milliseconds (`sy_settle_many`: one transaction, one WAL flush, each
   * hold on its own). False when the hold was already settled (by the sweeper, or a duplicate call):
   * nothing changes then. One attempt; a live hold stays alive when it fails (settleReliably tries again).
   */
  async settle(id: string, actual: bigint, reason: 'completed' | 'cancelled' | 'error' | 'swept'): Promise<boolean> {
    const ok = await this.stores.settlements.settle({ id, actual: actual < 0n ? 0n : actual, reason });
    this.live.delete(id);
    return ok;
  }

  /**
   * Settles holds whose process died: older than the TTL with no heartbeat, page by page so live
   * long requests at the head cannot starve the rest; and, at any age, those whose process handed
   * over their cost and no longer keeps them alive (it gave up its retries, or died). Billed the
   * cost their process handed over when its own settlement failed; otherwise by the same rule as a cut stream: the prompt, plus
   * the output relayed as last reported, never above the hold. While Redis is unreachable nothing
   * is swept (a live request's heartbeat cannot be seen).
   */
  async sweep(): Promise<number> {
    const before = new Date(this.clock.nowMs() - this.config.holds.ttlMs);
    const swept: SweptHold[] = [];
    for (let cursor: HoldCursor | null = null; ;) {
      const page = await this.holds.openOlderThan(this.ledger.dataSource, before, SWEEP_PAGE, cursor);
      if (page.length === 0) break;
      cursor = page[page.length - 1];
      const settled = await this.sweepPage(page, false);
      if (settled === null) break;
      swept.push(...settled);
      if (page.length < SWEEP_PAGE) break;
    }
    swept.push(...(await this.sweepHandedOver()));
    if (swept.length === 0) return 0;
    this.log.warn({ swept: swept.length }, 'settled holds left by a process that stopped');
    for (const listener of this.sweptListeners)
      await listener(swept).catch((err: Error) => this.log.error({ err: err.message }, 'recording swept holds failed'));
    return swept.length;
  }

  /**
   * Holds whose process handed over their exact cost, whatever their age: settled with it as soon
   * as no heartbeat vouches for them (their process gave up its retries, or died), not a TTL later.
   */
  private async sweepHandedOver(): Promise<SweptHold[]> {
    let ids: string[];
    try {
      ids = await this.redis.client.srandmember(HANDED_OVER_SET, SWEEP_PAGE);
    } catch {
      return [];
    }
    if (ids.length === 0) return [];
    const open = await this.holds.openByIds(this.ledger.dataSource, ids);
    const openIds = new Set(open.map((h) => h.id));
    // Settled meanwhile (by their process, or a pass of the TTL sweep): nothing left to do for them.
    const done = ids.filter((id) => !openIds.has(id));
    if (done.length) await this.redis.client.srem(HANDED_OVER_SET, ...done).catch(() => undefined);
    return open.length ? ((await this.sweepPage(open, true)) ?? []) : [];
  }

  /** Null when Redis cannot tell which holds are alive. `handedOverOnly`: skip holds with no cost handed over. */
  private async sweepPage(candidates: OpenHold[], handedOverOnly: boolean): Promise<SweptHold[] | null> {
    const keys = (kind: string) => candidates.map((c) => `hold:${kind}:${c.id}`);
    let alive: (string | null)[];
    let progress: (string | null)[];
    let due: (string | null)[];
    let contexts: (string | null)[];
    try {
      [alive, progress, due, contexts] = await Promise.all([
        this.redis.client.mget(...keys('hb')),
        this.redis.client.mget(...keys('progress')),
        this.redis.client.mget(...keys('due')),
        this.redis.client.mget(...keys('ctx')),
      ]);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'hold sweep skipped: Redis unavailable');
      return null;
    }
    const swept: SweptHold[] = [];
    for (const [i, c] of candidates.entries()) {
      if (alive[i] !== null) continue;
      const { cost: billed, tokens, handedOver } = sweptCost(c, progress[i], due[i]);
      if (handedOverOnly && !handedOver) {
        // Its cost expired unsettled: the TTL sweep bills it by what it relayed.
        if (due[i] === null) await this.redis.client.srem(HANDED_OVER_SET, c.id).catch(() => undefined);
        continue;
      }
      if (!(await this.settle(c.id, billed, 'swept'))) continue;
      if (handedOver) await this.forgetHandOver(c.id, true);
      swept.push({ id: c.id, cost: billed, amount: c.amount, tokens, handedOver, context: parseContext(contexts[i]) });
    }
    return swept;
  }

  private async balanceError(userId: string): Promise<Error> {
    const b = await this.ledger.balances(userId);
    if (b.frozen) return CreditsErrors.frozen();
    if (b.receivable < 0n) return CreditsErrors.negativeBalance();
    return CreditsErrors.insufficient();
  }

  /** Keeps this process's in-flight holds visibly alive, with their progress, for the sweeper. */
  private async beat(): Promise<void> {
    if (this.live.size === 0) return;
    const ttl = this.config.holds.ttlMs;
    const pipeline = this.redis.client.pipeline();
    for (const [id, tokens] of this.live) {
      pipeline.set(`hold:hb:${id}`, String(tokens), 'PX', ttl);
      pipeline.set(`hold:progress:${id}`, String(tokens), 'PX', ttl * 4);
    }
    this.dirty.clear();
    await pipeline.exec().catch(() => undefined);
  }

  /** Writes the progress that changed since the last write (between heartbeats). */
  private async flushProgress(): Promise<void> {
    if (this.dirty.size === 0) return;
    const ttl = this.config.holds.ttlMs * 4;
    const pipeline = this.redis.client.pipeline();
    for (const id of this.dirty) {
      const tokens = this.live.get(id);
      if (tokens !== undefined) pipeline.set(`hold:progress:${id}`, String(tokens), 'PX', ttl);
    }
    this.dirty.clear();
    await pipeline.exec().catch(() => undefined);
  }
}

function parseContext(text: string | null): HoldContext | null {
  if (!text) return null;
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' ? (v as HoldContext) : null;
  } catch {
    return null;
  }
}
