import { MigrationInterface, QueryRunner } from 'typeorm';

/** The current period's usage of a counter (see src/keys/caps.repository.ts, which this mirrors). */
const usage = (period: 'day' | 'week' | 'month', param: string) =>
  `(CASE WHEN usage_${period}_start >= ${param} THEN usage_${period}_nanos ELSE 0 END)`;

/**
 * sy_hold as LookUpLedgerAccountsOnceInHoldAndSettle defined it, with `zeroHoldChecks` adding the
 * frozen and owed checks to a hold of 0. Written out here because migrations never change.
 */
function holdFunction(zeroHoldChecks: boolean): string {
  const zeroBranch = zeroHoldChecks
    ? `
        ELSE
          -- Nothing to move, but a frozen or owing user is refused all the same. A user without a
          -- ledger account yet (never credited) is neither.
          IF EXISTS (SELECT 1 FROM ledger_accounts WHERE code = 'user:' || p_user || ':available' AND frozen)
             OR EXISTS (SELECT 1 FROM ledger_accounts r WHERE r.code = 'user:' || p_user || ':receivable' AND r.balance < 0) THEN
            RAISE EXCEPTION 'sy:balance' USING ERRCODE = 'P0001';
          END IF;`
    : '';
  return `
      CREATE OR REPLACE FUNCTION sy_hold(p_id varchar, p_user uuid, p_key uuid, p_amount bigint, p_prompt_cost bigint,
                                         p_completion_price bigint, p_now timestamptz, p_day date, p_week date, p_month date)
      RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        v_journal uuid;
        v_available uuid;
        v_held uuid;
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
             AND NOT EXISTS (SELECT 1 FROM ledger_accounts r WHERE r.code = 'user:' || p_user || ':receivable' AND r.balance < 0)
          RETURNING id INTO v_available;
          IF NOT FOUND THEN
            RAISE EXCEPTION 'sy:balance' USING ERRCODE = 'P0001';
          END IF;
          UPDATE ledger_accounts SET balance = balance + p_amount WHERE code = 'user:' || p_user || ':held'
          RETURNING id INTO v_held;
          INSERT INTO ledger_journals (idempotency_key, kind, user_id) VALUES ('hold:' || p_id, 'hold', p_user) RETURNING id INTO v_journal;
          INSERT INTO ledger_entries (journal_id, account_id, amount)
          VALUES (v_journal, v_available, -p_amount), (v_journal, v_held, p_amount);${zeroBranch}
        END IF;
      END
      $$
    `;
}

/**
 * A hold of 0 (a free endpoint) skipped the balance row entirely, so a frozen user (open dispute)
 * or one who owes money was admitted. Now it is refused like any other hold. Same signature, so
 * sy_hold_async and the prepared statements of running processes keep working.
 */
export class CheckFrozenAndOwedOnZeroHolds1795320500000 implements MigrationInterface {
  name = 'CheckFrozenAndOwedOnZeroHolds1795320500000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(holdFunction(true));
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(holdFunction(false));
  }
}
