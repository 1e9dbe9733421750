import { MigrationInterface, QueryRunner } from 'typeorm';

/** The current period's usage of a counter (see src/keys/caps.repository.ts, which this mirrors). */
const usage = (period: 'day' | 'week' | 'month', param: string) =>
  `(CASE WHEN usage_${period}_start >= ${param} THEN usage_${period}_nanos ELSE 0 END)`;

const settleSet = `
  held_nanos = held_nanos - v_amount,
  usage_nanos = usage_nanos + v_actual,
  usage_day_nanos = ${usage('day', 'p_day')} + v_actual, usage_day_start = GREATEST(usage_day_start, p_day),
  usage_week_nanos = ${usage('week', 'p_week')} + v_actual, usage_week_start = GREATEST(usage_week_start, p_week),
  usage_month_nanos = ${usage('month', 'p_month')} + v_actual, usage_month_start = GREATEST(usage_month_start, p_month)`;

/**
 * A request's hold and its settlement, each as one server-side call: the same statements
 * CapsRepository and LedgerService run (same conditions, same lock order: hold row, user caps,
 * key, user accounts, platform account), in one round trip instead of ten. A refusal raises
 * P0001 with `sy:user_cap`, `sy:key` or `sy:balance` and rolls everything back.
 */
export class CreateHoldAndSettleFunctions1795297504699 implements MigrationInterface {
  name = 'CreateHoldAndSettleFunctions1795297504699';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION sy_hold(p_id varchar, p_user uuid, p_key uuid, p_amount bigint, p_prompt_cost bigint,
                              p_completion_price bigint, p_now timestamptz, p_day date, p_week date, p_month date)
      RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        v_journal uuid;
      BEGIN
        INSERT INTO credit_holds (id, user_id, key_id, amount, prompt_cost, completion_price)
        VALUES (p_id, p_user, p_key, p_amount, p_prompt_cost, p_completion_price);

        UPDATE user_spend SET held_nanos = held_nanos + p_amount
         WHERE user_id = p_user
           AND (cap_daily_nanos IS NULL OR ${usage('day', 'p_day')} + held_nanos + p_amount <= cap_daily_nanos)
           AND (cap_weekly_nanos IS NULL OR ${usage('week', 'p_week')} + held_nanos + p_amount <= cap_weekly_nanos)
           AND (cap_monthly_nanos IS NULL OR ${usage('month', 'p_month')} + held_nanos + p_amount <= cap_monthly_nanos);
        IF NOT FOUND THEN
          IF EXISTS (SELECT 1 FROM user_spend WHERE user_id = p_user) THEN
            RAISE EXCEPTION 'sy:user_cap' USING ERRCODE = 'P0001';
          END IF;
          INSERT INTO user_spend (user_id) VALUES (p_user) ON CONFLICT (user_id) DO NOTHING;
          UPDATE user_spend SET held_nanos = held_nanos + p_amount WHERE user_id = p_user;
        END IF;

        UPDATE api_keys SET held_nanos = held_nanos + p_amount
         WHERE id = p_key AND disabled = false AND deleted_at IS NULL AND (expires_at IS NULL OR expires_at > p_now)
           AND (limit_nanos IS NULL OR
                (CASE limit_reset WHEN 'daily' THEN ${usage('day', 'p_day')}
                                  WHEN 'weekly' THEN ${usage('week', 'p_week')}
                                  WHEN 'monthly' THEN ${usage('month', 'p_month')}
                                  ELSE usage_nanos END) + held_nanos + p_amount <= limit_nanos);
        IF NOT FOUND THEN
          RAISE EXCEPTION 'sy:key' USING ERRCODE = 'P0001';
        END IF;

        IF p_amount > 0 THEN
          UPDATE ledger_accounts SET balance = balance - p_amount
           WHERE code = 'user:' || p_user || ':available' AND balance >= p_amount AND NOT frozen
             AND NOT EXISTS (SELECT 1 FROM ledger_accounts r WHERE r.code = 'user:' || p_user || ':receivable' AND r.balance < 0);
          IF NOT FOUND THEN
            RAISE EXCEPTION 'sy:balance' USING ERRCODE = 'P0001';
          END IF;
          UPDATE ledger_accounts SET balance = balance + p_amount WHERE code = 'user:' || p_user || ':held';
          INSERT INTO ledger_journals (idempotency_key, kind, user_id) VALUES ('hold:' || p_id, 'hold', p_user) RETURNING id INTO v_journal;
          INSERT INTO ledger_entries (journal_id, account_id, amount)
          SELECT v_journal, id, CASE kind WHEN 'available' THEN -p_amount ELSE p_amount END
            FROM ledger_accounts WHERE code IN ('user:' || p_user || ':available', 'user:' || p_user || ':held');
        END IF;
      END
      $$
    `);
    await queryRunner.query(`
      CREATE FUNCTION sy_settle(p_id varchar, p_actual bigint, p_reason varchar, p_day date, p_week date, p_month date, p_revenue_code varchar)
      RETURNS boolean LANGUAGE plpgsql AS $$
      DECLARE
        v_user uuid;
        v_key uuid;
        v_amount bigint;
        v_actual bigint;
        v_journal uuid;
      BEGIN
        UPDATE credit_holds SET status = 'settled', actual = LEAST(GREATEST(p_actual, 0), amount), reason = p_reason, settled_at = now()
         WHERE id = p_id AND status = 'open'
        RETURNING user_id, key_id, amount, actual INTO v_user, v_key, v_amount, v_actual;
        IF NOT FOUND THEN
          RETURN false;
        END IF;

        UPDATE user_spend SET ${settleSet} WHERE user_id = v_user AND held_nanos >= v_amount;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'sy:settle user % holds less than %', v_user, v_amount USING ERRCODE = 'P0002';
        END IF;
        UPDATE api_keys SET ${settleSet} WHERE id = v_key AND held_nanos >= v_amount;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'sy:settle key % holds less than %', v_key, v_amount USING ERRCODE = 'P0002';
        END IF;

        IF v_amount > 0 THEN
          INSERT INTO ledger_accounts (code, kind) VALUES (p_revenue_code, 'usage_revenue') ON CONFLICT (code) DO NOTHING;
          UPDATE ledger_accounts SET balance = balance + (v_amount - v_actual) WHERE code = 'user:' || v_user || ':available';
          UPDATE ledger_accounts SET balance = balance - v_amount WHERE code = 'user:' || v_user || ':held';
          UPDATE ledger_accounts SET balance = balance + v_actual WHERE code = p_revenue_code;
          INSERT INTO ledger_journals (idempotency_key, kind, user_id) VALUES ('settle:' || p_id, 'settle', v_user) RETURNING id INTO v_journal;
          INSERT INTO ledger_entries (journal_id, account_id, amount)
          SELECT v_journal, a.id, e.amount
            FROM (VALUES ('user:' || v_user || ':available', v_amount - v_actual),
                         ('user:' || v_user || ':held', -v_amount),
                         (p_revenue_code, v_actual)) AS e(code, amount)
            JOIN ledger_accounts a ON a.code = e.code
           WHERE e.amount <> 0;
        END IF;
        RETURN true;
      END
      $$
    `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION sy_settle(varchar, bigint, varchar, date, date, date, varchar)`);
    await queryRunner.query(`DROP FUNCTION sy_hold(varchar, uuid, uuid, bigint, bigint, bigint, timestamptz, date, date, date)`);
  }
}
