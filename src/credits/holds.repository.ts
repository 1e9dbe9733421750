import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { prepared, PreparedSql } from '../common/database/prepared-sql';
import { queryRows } from '../common/database/sql';
import type { PeriodStarts } from '../keys/periods';

export interface NewHold {
  id: string;
  userId: string;
  keyId: string;
  amount: bigint;
  promptCost: bigint;
  completionPrice: bigint;
}

/** One settlement of a batch: the hold, its actual cost (clamped to [0, hold] by the routine), why. */
export interface SettleItem {
  id: string;
  actual: bigint;
  reason: string;
}

/** What refused a hold: a user cap, the key (gone, disabled, expired or its limit), the balance. */
export type HoldRefusal = 'user_cap' | 'key' | 'balance';

const REFUSALS: Record<string, HoldRefusal> = { 'sy:user_cap': 'user_cap', 'sy:key': 'key', 'sy:balance': 'balance' };

export interface OpenHold {
  id: string;
  amount: bigint;
  promptCost: bigint;
  completionPrice: bigint;
  /** Postgres's own text of the timestamp: a JS Date would drop its microseconds, and the cursor with them. */
  createdAt: string;
}

export type HoldCursor = Pick<OpenHold, 'id' | 'createdAt'>;

type OpenHoldRow = { id: string; amount: string; prompt_cost: string; completion_price: string; created_at: string };

const openHoldOf = (r: OpenHoldRow): OpenHold => ({
  id: r.id,
  amount: BigInt(r.amount),
  promptCost: BigInt(r.prompt_cost),
  completionPrice: BigInt(r.completion_price),
  createdAt: r.created_at,
});

const HOLD = prepared('sy_hold_async', 'SELECT sy_hold_async($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)');
// One settlement: sy_settle in a procedure that unlocks its rows before the WAL flush and returns after it.
const SETTLE = prepared('sy_settle_unlocked', 'CALL sy_settle_unlocked($1, $2, $3, $4, $5, $6, $7, NULL)');
// Many settlements in one transaction and one WAL flush (group commit); see sy_settle_many.
const SETTLE_MANY = prepared('sy_settle_many_unlocked', 'CALL sy_settle_many_unlocked($1, $2, $3, $4, $5, $6, $7, NULL)');
const SETTLE_LATE = prepared('sy_settle_late', 'SELECT sy_settle_late($1, $2, $3, $4, $5, $6)::text AS booked');

/**
 * Request holds: created by sy_hold (one round trip each), settled by sy_settle_many (many per round trip).
 * Their current definitions, and the rules they keep, are in sql/money-routines.sql.
 */
@Injectable()
export class HoldsRepository {
  constructor(private readonly sql: PreparedSql) {}

  /**
   * Null when held; what refused otherwise (holding nothing). The routine raises P0001 `sy:user_cap`,
   * `sy:key` or `sy:balance` for a refusal: translated here, and only here.
   */
  async create(h: NewHold, now: Date, p: PeriodStarts): Promise<HoldRefusal | null> {
    try {
      await this.sql.rows(HOLD, [
        h.id,
        h.userId,
        h.keyId,
        h.amount.toString(),
        h.promptCost.toString(),
        h.completionPrice.toString(),
        now,
        p.day,
        p.week,
        p.month,
      ]);
      return null;
    } catch (err) {
      const e = err as { code?: string; message?: string };
      const refusal = e.code === 'P0001' ? REFUSALS[e.message ?? ''] : undefined;
      if (refusal) return refusal;
      throw err;
    }
  }

  /** False when the hold was settled already. Not inside a transaction: the procedure commits. */
  async settle(item: SettleItem, p: PeriodStarts, revenueAccount: string): Promise<boolean> {
    const rows = await this.sql.rows<{ ok: boolean }>(SETTLE, [
      item.id,
      item.actual.toString(),
      item.reason,
      p.day,
      p.week,
      p.month,
      revenueAccount,
    ]);
    return rows[0]?.ok === true;
  }

  /**
   * Settles many holds in one transaction (`sy_settle_many_unlocked`), each on its own: per item,
   * true = settled now, false = settled already, null = its settlement failed (the others stand).
   * Throws when the whole call fails (nothing settled then). Not inside a transaction: the procedure commits.
   */
  async settleMany(items: SettleItem[], p: PeriodStarts, revenueAccount: string): Promise<(boolean | null)[]> {
    const rows = await this.sql.rows<{ oks: (boolean | null)[] | null }>(SETTLE_MANY, [
      items.map((i) => i.id),
      items.map((i) => i.actual.toString()),
      items.map((i) => i.reason),
      p.day,
      p.week,
      p.month,
      revenueAccount,
    ]);
    const oks = rows[0]?.oks;
    if (!oks || oks.length !== items.length) throw new Error('sy_settle_many_unlocked answered no result per hold');
    return oks;
  }

  /** What a settlement arriving after the sweeper adds to the sweeper's (`sy_settle_late`): 0 when nothing. */
  async settleLate(id: string, actual: bigint, p: PeriodStarts, revenueAccount: string): Promise<bigint> {
    const rows = await this.sql.rows<{ booked: string }>(SETTLE_LATE, [id, actual.toString(), p.day, p.week, p.month, revenueAccount]);
    return BigInt(rows[0]?.booked ?? '0');
  }

  /** Those of these holds that are still open. */
  async openByIds(em: Pick<EntityManager, 'query'>, ids: string[]): Promise<OpenHold[]> {
    const rows = await queryRows<OpenHoldRow>(
      em,
      `SELECT id, amount::text, prompt_cost::text, completion_price::text, created_at::text FROM credit_holds WHERE status = 'open' AND id = ANY($1)`,
      [ids],
    );
    return rows.map(openHoldOf);
  }

  /**
   * Open holds created before `before`, oldest first, from after `after` (the last one of the
   * previous page): live long requests at the head cannot hide the ones behind them.
   */
  async openOlderThan(em: Pick<EntityManager, 'query'>, before: Date, limit: number, after: HoldCursor | null = null): Promise<OpenHold[]> {
    const rows = await queryRows<OpenHoldRow>(
      em,
      `SELECT id, amount::text, prompt_cost::text, completion_price::text, created_at::text FROM credit_holds
       WHERE status = 'open' AND created_at < $1 AND ($3::timestamptz IS NULL OR (created_at, id) > ($3, $4))
       ORDER BY created_at, id LIMIT $2`,
      [before, limit, after?.createdAt ?? null, after?.id ?? ''],
    );
    return rows.map(openHoldOf);
  }
}
