import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { queryRows } from '../common/database/sql';
import type { PeriodStarts } from './periods';

/** The current period's usage of a counter, given the period start in parameter $n (as the money routines compute it). */
const usage = (period: 'day' | 'week' | 'month', param: string) =>
  `(CASE WHEN usage_${period}_start >= ${param}::date THEN usage_${period}_nanos ELSE 0 END)`;

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
 * Spending-cap counters and settings. What holds and settles them is sy_hold / sy_settle
 * (credits/sql/money-routines.sql), whose "current period's usage" expression `usage` mirrors.
 * Methods that take an EntityManager read or write inside the caller's transaction.
 */
@Injectable()
export class CapsRepository {
  constructor(readonly dataSource: DataSource) {}

  /** Creates the user's counter row if missing; true when it created one. */
  async ensureUserRow(em: EntityManager, userId: string): Promise<boolean> {
    const rows = (await queryRows(
      em,
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
    const rows = (await queryRows(
      em,
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
