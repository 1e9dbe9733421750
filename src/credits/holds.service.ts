import { Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Clock } from '../common/clock/clock';
import { AppConfig } from '../common/config/app-config';
import { AppLogger } from '../common/logging/app-logger';
import { tokenCost } from '../common/money/money';
import { RedisService } from '../common/redis/redis.service';
import { CapsService, KeyLimit } from '../keys/caps.service';
import type { LimitSource } from '../keys/keys.errors';
import { CreditsErrors } from './credits.errors';
import { periodStarts } from '../keys/periods';
import { NewHold, HoldsRepository } from './holds.repository';
import { accountCode, usageShardFor } from './ledger';
import { LedgerService } from './ledger.service';

export type BudgetSource = LimitSource | 'balance';

export interface Budget {
  /** The most a request may hold now; null when nothing limits it. */
  room: bigint | null;
  source: BudgetSource | null;
}

const HEARTBEAT_EVERY_MS = 5000;

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
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly ledger: LedgerService,
    private readonly holds: HoldsRepository,
    private readonly caps: CapsService,
    private readonly redis: RedisService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    logger: AppLogger,
  ) {
    this.log = logger.child({ component: 'holds' });
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.beat(), Math.min(HEARTBEAT_EVERY_MS, this.config.holds.ttlMs / 3));
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** What the caller can spend now: the lowest of the caps' room and the available balance. */
  async budget(keyId: string, userId: string, limit: KeyLimit): Promise<Budget> {
    const [caps, b] = await Promise.all([this.caps.headroom(keyId, userId, limit), this.ledger.balances(userId)]);
    const balanceRoom = b.frozen || b.receivable < 0n ? 0n : b.available;
    if (caps.room !== null && caps.room < balanceRoom) return { room: caps.room, source: caps.source };
    return { room: balanceRoom, source: 'balance' };
  }

  /** The error for a budget of zero, by what caused it. */
  async exhausted(userId: string, source: BudgetSource | null): Promise<Error> {
    if (source !== 'balance') return this.caps.limitError(source);
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
    try {
      await this.holds.create(h, now, p);
    } catch (err) {
      const e = err as { code?: string; message?: string };
      if (e.code === 'P0001' && e.message === 'sy:user_cap') throw await this.caps.explainUserRefusal(h.userId, h.amount);
      if (e.code === 'P0001' && e.message === 'sy:key') throw await this.caps.explainKeyRefusal(h.keyId);
      if (e.code === 'P0001' && e.message === 'sy:balance') throw await this.balanceError(h.userId);
      throw err;
    }
    // The heartbeat is written by beat() for every live hold; the sweeper only looks at holds
    // older than the TTL, long after the first beat.
    this.live.set(h.id, 0);
  }

  /** The request has relayed about this many output tokens so far (what the sweeper bills if we die). */
  progress(id: string, tokens: number): void {
    if (this.live.has(id)) this.live.set(id, tokens);
  }

  /**
   * Books `actual` (capped at the hold) and releases the rest, exactly once, in one round trip
   * (`sy_settle`). False when the hold was already settled (by the sweeper, or a duplicate call):
   * nothing changes then.
   */
  async settle(id: string, actual: bigint, reason: 'completed' | 'cancelled' | 'error' | 'swept'): Promise<boolean> {
    // Whatever happens, this process stops vouching for the hold: if settling fails, the sweeper
    // takes it over once the heartbeat expires (the keys expire by themselves).
    this.live.delete(id);
    const p = periodStarts(this.clock.now());
    return this.holds.settle(id, actual < 0n ? 0n : actual, reason, p, accountCode(usageShardFor(id)));
  }

  /**
   * Settles holds whose process died: older than the TTL with no heartbeat. They are billed by
   * the same rule as a cut stream: the prompt, plus the text relayed before the last heartbeat,
   * never above the hold. While Redis is unreachable nothing is swept (a live request's
   * heartbeat cannot be seen).
   */
  async sweep(limit = 500): Promise<number> {
    const before = new Date(this.clock.nowMs() - this.config.holds.ttlMs);
    const candidates = await this.holds.openOlderThan(this.ledger.dataSource, before, limit);
    if (candidates.length === 0) return 0;
    let alive: (string | null)[];
    let progress: (string | null)[];
    try {
      alive = await this.redis.client.mget(...candidates.map((c) => `hold:hb:${c.id}`));
      progress = await this.redis.client.mget(...candidates.map((c) => `hold:progress:${c.id}`));
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'hold sweep skipped: Redis unavailable');
      return 0;
    }
    let swept = 0;
    for (const [i, c] of candidates.entries()) {
      if (alive[i] !== null) continue;
      const tokens = Math.max(0, Math.floor(Number(progress[i] ?? '0') || 0));
      const completion = tokenCost(tokens, c.completionPrice);
      const cost = c.promptCost + completion;
      if (await this.settle(c.id, cost < c.amount ? cost : c.amount, 'swept')) swept++;
    }
    if (swept) this.log.warn({ swept }, 'settled holds left by a process that stopped');
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
    await pipeline.exec().catch(() => undefined);
  }
}
