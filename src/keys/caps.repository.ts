import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { queryRows } from '../common/database/sql';
import type { PeriodStarts } from './periods';

/** The current period's usage of a counter, given the period start in parameter $n. */
const usage = (period: 'day' | 'week' | 'month', param: string) =>
  `(CASE WHEN usage_${period}_start >= ${param}::date THEN usage_${period}_nanos ELSE 0 END)`;

/**
 * Adds `actual` to every period (rolling a period over when it changed) and releases `held`.
 * A start date later than ours (a process with a slow clock) counts as the current period.
 */
const SETTLE_SET = `
  held_nanos = held_nanos - $1,
  usage_nanos = usage_nanos + $2,
  usage_day_nanos = ${usage('day', '$4')} + $2, usage_day_start = GREATEST(usage_day_start, $4::date),
  usage_week_nanos = ${usage('week', '$5')} + $2, usage_week_start = GREATEST(usage_week_start, $5::date),
  usage_month_nanos = ${usage('month', '$6')} + $2, usage_month_start = GREATEST(usage_month_start, $6::date)`;

const RESERVE_USER = `
  UPDATE user_spend SET held_nanos = held_nanos + $1
  WHERE user_id = $2
    AND (cap_daily_nanos IS NULL OR ${usage('day', '$3')} + held_nanos + $1 <= cap_daily_nanos)
    AND (cap_weekly_nanos IS NULL OR ${usage('week', '$4')} + held_nanos + $1 <= cap_weekly_nanos)
    AND (cap_monthly_nanos IS NULL OR ${usage('month', '$5')} + held_nanos + $1 <= cap_monthly_nanos)
  RETURNING user_id`;

const RESERVE_KEY = `
  UPDATE api_keys SET held_nanos = held_nanos + $1
  WHERE id = $2 AND disabled = false AND deleted_at IS NULL AND (expires_at IS NULL OR expires_at > $3)
    AND (limit_nanos IS NULL OR
         (CASE limit_reset WHEN 'daily' THEN ${usage('day', '$4')}
                           WHEN 'weekly' THEN ${usage('week', '$5')}
                           WHEN 'monthly' THEN ${usage('month', '$6')}
                           ELSE usage_nanos END) + held_nanos + $1 <= limit_nanos)
  RETURNING id`;

export interface CounterRow {
  held: bigint;
  total: bigint;
  day: bigint;
  week: bigint;
  month: bigint;
}

const COUNTER_COLUMNS = (p: string) => `
  held_nanos AS held, usage_nanos AS total,
  ${usage('day', `${p}1`)} AS day, ${usage('week', `${p}2`)} AS week, ${usage('month', `${p}3`)} AS month`;

const toCounters = (r: Record<string, string>): CounterRow => ({
  held: BigInt(r.held),
  total: BigInt(r.total),
  day: BigInt(r.day),
  week: BigInt(r.week),
  month: BigInt(r.month),
});

/**
 * The conditional UPDATEs behind spending caps. Every method takes the EntityManager of the caller's
 * transaction, so a hold on caps and a hold on the balance commit or roll back together.
 * Lock order, everywhere: the user's row, then the key's row.
 */
@Injectable()
export class CapsRepository {
  constructor(readonly dataSource: DataSource) {}

  async reserveUser(em: EntityManager, userId: string, amount: bigint, p: PeriodStarts): Promise<boolean> {
    let rows = (await queryRows(em, RESERVE_USER, [amount.toString(), userId, p.day, p.week, p.month])) as unknown[];
    if (rows.length === 0 && (await this.ensureUserRow(em, userId))) {
      rows = (await queryRows(em, RESERVE_USER, [amount.toString(), userId, p.day, p.week, p.month])) as unknown[];
    }
    return rows.length === 1;
  }

  async reserveKey(em: EntityManager, keyId: string, amount: bigint, now: Date, p: PeriodStarts): Promise<boolean> {
    const rows = (await queryRows(em, RESERVE_KEY, [amount.toString(), keyId, now, p.day, p.week, p.month])) as unknown[];
    return rows.length === 1;
  }

  /** Releases `held` and books `actual`; false when the row holds less than `held` (a double settle). */
  settleUser(em: EntityManager, userId: string, held: bigint, actual: bigint, p: PeriodStarts): Promise<boolean> {
    return this.settle(em, 'user_spend', 'user_id', userId, held, actual, p);
  }

  settleKey(em: EntityManager, keyId: string, held: bigint, actual: bigint, p: PeriodStarts): Promise<boolean> {
    return this.settle(em, 'api_keys', 'id', keyId, held, actual, p);
  }

  private async settle(
    em: EntityManager,
    table: 'user_spend' | 'api_keys',
    idColumn: 'user_id' | 'id',
    id: string,
    held: bigint,
    actual: bigint,
    p: PeriodStarts,
  ): Promise<boolean> {
    const rows = await queryRows(em, `UPDATE ${table} SET ${SETTLE_SET} WHERE ${idColumn} = $3 AND held_nanos >= $1 RETURNING 1`, [
      held.toString(),
      actual.toString(),
      id,
      p.day,
      p.week,
      p.month,
    ]);
    return rows.length === 1;
  }

  /** Creates the user's counter row if missing; true when it created one. */
  async ensureUserRow(em: EntityManager, userId: string): Promise<boolean> {
    const rows = (await queryRows(em, 
      `INSERT INTO user_spend (user_id) SELECT id FROM users WHERE id = $1 ON CONFLICT (user_id) DO NOTHING RETURNING user_id`,
      [userId],
    )) as unknown[];
    return rows.length === 1;
  }

  async keyCounters(keyId: string, p: PeriodStarts, em: Pick<EntityManager, 'query'> = this.dataSource): Promise<CounterRow | null> {
    const rows = (await queryRows(em, `SELECT ${COUNTER_COLUMNS('$')} FROM api_keys WHERE id = $4`, [
      p.day,
      p.week,
      p.month,
      keyId,
    ])) as Record<string, string>[];
    return rows[0] ? toCounters(rows[0]) : null;
  }

  /** With `em`, read inside that transaction (never take a second pool connection while holding one). */
  async userCounters(
    userId: string,
    p: PeriodStarts,
    em: Pick<EntityManager, 'query'> = this.dataSource,
  ): Promise<(CounterRow & { caps: { daily: bigint | null; weekly: bigint | null; monthly: bigint | null } }) | null> {
    const rows = (await queryRows(em, 
      `SELECT ${COUNTER_COLUMNS('$')}, cap_daily_nanos, cap_weekly_nanos, cap_monthly_nanos FROM user_spend WHERE user_id = $4`,
      [p.day, p.week, p.month, userId],
    )) as Record<string, string | null>[];
    const r = rows[0];
    if (!r) return null;
    const cap = (v: string | null) => (v === null ? null : BigInt(v));
    return {
      ...toCounters(r as Record<string, string>),
      caps: { daily: cap(r.cap_daily_nanos), weekly: cap(r.cap_weekly_nanos), monthly: cap(r.cap_monthly_nanos) },
    };
  }

  async setUserCaps(userId: string, caps: { daily?: bigint | null; weekly?: bigint | null; monthly?: bigint | null }): Promise<void> {
    await this.dataSource.transaction(async (em) => {
      await this.ensureUserRow(em, userId);
      const sets: string[] = [];
      const params: (string | null)[] = [userId];
      for (const [field, column] of [
        ['daily', 'cap_daily_nanos'],
        ['weekly', 'cap_weekly_nanos'],
        ['monthly', 'cap_monthly_nanos'],
      ] as const) {
        const v = caps[field];
        if (v === undefined) continue;
        params.push(v === null ? null : v.toString());
        sets.push(`${column} = $${params.length}`);
      }
      if (sets.length) await queryRows(em, `UPDATE user_spend SET ${sets.join(', ')}, updated_at = now() WHERE user_id = $1`, params);
    });
  }
}
