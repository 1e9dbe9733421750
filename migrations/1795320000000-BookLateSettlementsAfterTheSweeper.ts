import { MigrationInterface, QueryRunner } from 'typeorm';

/** The current period's usage of a counter (as in LookUpLedgerAccountsOnceInHoldAndSettle). */
const usage = (period: 'day' | 'week' | 'month', param: string) =>
  `(CASE WHEN usage_${period}_start >= ${param} THEN usage_${period}_nanos ELSE 0 END)`;

const addUsage = `
  usage_nanos = usage_nanos + v_diff,
  usage_day_nanos = ${usage('day', 'p_day')} + v_diff, usage_day_start = GREATEST(usage_day_start, p_day),
  usage_week_nanos = ${usage('week', 'p_week')} + v_diff, usage_week_start = GREATEST(usage_week_start, p_week),
  usage_month_nanos = ${usage('month', 'p_month')} + v_diff, usage_month_start = GREATEST(usage_month_start, p_month)`;

/**
 * `sy_settle_late`: a request's own settlement that arrives after the sweeper settled its hold (its
 * process stalled past the hold TTL while retrying) books the difference between its exact cost and
 * what the sweeper booked, once (journal `settle-late:<id>`, and the hold's `actual` raised to the
 * exact cost, never above the hold). The difference comes from the available balance and, for what
 * that cannot cover, is owed (the receivable goes below zero, which blocks new holds until repaid).
 * The caps' and key's spend grow by it too. Returns the difference booked: 0 when the sweeper
 * booked as much or more, or this was booked before.
 */
export class BookLateSettlementsAfterTheSweeper1795320000000 implements MigrationInterface {
  name = 'BookLateSettlementsAfterTheSweeper1795320000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION sy_settle_late(p_id varchar, p_actual bigint, p_day date, p_week date, p_month date, p_revenue_code varchar)
      RETURNS bigint LANGUAGE plpgsql AS $$
      DECLARE
        v_user uuid;
        v_key uuid;
        v_diff bigint;
        v_balance bigint;
        v_from_available bigint;
        v_available uuid;
        v_receivable uuid;
        v_revenue uuid;
        v_journal uuid;
      BEGIN
        -- The hold row first, as sy_settle locks it: one late settlement at a time per hold.
        SELECT user_id, key_id, LEAST(GREATEST(p_actual, 0), amount) - actual INTO v_user, v_key, v_diff
          FROM credit_holds WHERE id = p_id AND status = 'settled' FOR UPDATE;
        IF NOT FOUND OR v_diff <= 0 THEN
          RETURN 0;
        END IF;
        INSERT INTO ledger_journals (idempotency_key, kind, user_id) VALUES ('settle-late:' || p_id, 'settle', v_user)
        ON CONFLICT (idempotency_key) DO NOTHING RETURNING id INTO v_journal;
        IF v_journal IS NULL THEN
          RETURN 0;
        END IF;
        UPDATE credit_holds SET actual = actual + v_diff WHERE id = p_id;

        UPDATE user_spend SET ${addUsage} WHERE user_id = v_user;
        UPDATE api_keys SET ${addUsage} WHERE id = v_key;

        SELECT id, balance INTO v_available, v_balance FROM ledger_accounts WHERE code = 'user:' || v_user || ':available' FOR UPDATE;
        v_from_available := LEAST(GREATEST(v_balance, 0), v_diff);
        UPDATE ledger_accounts SET balance = balance - v_from_available WHERE id = v_available;
        UPDATE ledger_accounts SET balance = balance - (v_diff - v_from_available) WHERE code = 'user:' || v_user || ':receivable'
        RETURNING id INTO v_receivable;
        UPDATE ledger_accounts SET balance = balance + v_diff WHERE code = p_revenue_code
        RETURNING id INTO v_revenue;
        IF NOT FOUND THEN
          INSERT INTO ledger_accounts (code, kind) VALUES (p_revenue_code, 'usage_revenue') ON CONFLICT (code) DO NOTHING;
          UPDATE ledger_accounts SET balance = balance + v_diff WHERE code = p_revenue_code
          RETURNING id INTO v_revenue;
        END IF;
        INSERT INTO ledger_entries (journal_id, account_id, amount)
        SELECT v_journal, e.account, e.amount
          FROM (VALUES (v_available, -v_from_available), (v_receivable, v_from_available - v_diff), (v_revenue, v_diff)) AS e(account, amount)
         WHERE e.amount <> 0;
        RETURN v_diff;
      END
      $$
    `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION sy_settle_late(varchar, bigint, date, date, date, varchar)`);
  }
}
