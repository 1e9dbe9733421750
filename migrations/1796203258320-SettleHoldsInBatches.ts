import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Group commit for settlements: `sy_settle_many` settles the holds of requests that finished within
 * a few milliseconds of each other in one transaction (one WAL flush for all of them), each exactly
 * as `sy_settle` would and in a subtransaction of its own, so one item's failure does not fail the
 * others; `sy_settle_many_unlocked` commits the batch without waiting for the flush, then waits for
 * it in a second transaction, as `sy_settle_unlocked` does for one hold. The batch's usage revenue
 * goes to one revenue shard, booked once with the sum, after every user's and key's rows (the lock
 * order of src/credits/sql/money-routines.sql). `sy_settle` and `sy_settle_unlocked` stay for
 * `sy_settle_late` and for older processes during a rolling deploy.
 */
export class SettleHoldsInBatches1796203258320 implements MigrationInterface {
  name = 'SettleHoldsInBatches1796203258320';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
CREATE FUNCTION sy_settle_many(p_ids varchar[], p_actuals bigint[], p_reasons varchar[], p_day date, p_week date, p_month date,
                                          p_revenue_code varchar)
RETURNS boolean[] LANGUAGE plpgsql AS $$
      DECLARE
        v_ok boolean[] := array_fill(NULL::boolean, ARRAY[cardinality(p_ids)]);
        v_item record;
        v_user uuid;
        v_key uuid;
        v_amount bigint;
        v_actual bigint;
        v_journal uuid;
        v_available uuid;
        v_held uuid;
        v_revenue uuid;
        v_journals uuid[] := '{}';
        v_amounts bigint[] := '{}';
      BEGIN
        PERFORM 1 FROM credit_holds WHERE id = ANY(p_ids) AND status = 'open' ORDER BY id FOR UPDATE;

        FOR v_item IN
          SELECT t.i, t.id FROM unnest(p_ids) WITH ORDINALITY AS t(id, i) LEFT JOIN credit_holds h ON h.id = t.id
           ORDER BY h.user_id, h.key_id, t.id, t.i
        LOOP
          BEGIN
            UPDATE credit_holds SET status = 'settled', actual = LEAST(GREATEST(p_actuals[v_item.i], 0), amount), reason = p_reasons[v_item.i], settled_at = now()
             WHERE id = v_item.id AND status = 'open'
            RETURNING user_id, key_id, amount, actual INTO v_user, v_key, v_amount, v_actual;
            IF NOT FOUND THEN
              v_ok[v_item.i] := false;
              CONTINUE;
            END IF;

            UPDATE user_spend SET
              held_nanos = held_nanos - v_amount,
              usage_nanos = usage_nanos + v_actual,
              usage_day_nanos = (CASE WHEN usage_day_start >= p_day THEN usage_day_nanos ELSE 0 END) + v_actual, usage_day_start = GREATEST(usage_day_start, p_day),
              usage_week_nanos = (CASE WHEN usage_week_start >= p_week THEN usage_week_nanos ELSE 0 END) + v_actual, usage_week_start = GREATEST(usage_week_start, p_week),
              usage_month_nanos = (CASE WHEN usage_month_start >= p_month THEN usage_month_nanos ELSE 0 END) + v_actual, usage_month_start = GREATEST(usage_month_start, p_month)
             WHERE user_id = v_user AND held_nanos >= v_amount;
            IF NOT FOUND THEN
              RAISE EXCEPTION 'sy:settle user % holds less than %', v_user, v_amount USING ERRCODE = 'P0002';
            END IF;
            UPDATE api_keys SET
              held_nanos = held_nanos - v_amount,
              usage_nanos = usage_nanos + v_actual,
              usage_day_nanos = (CASE WHEN usage_day_start >= p_day THEN usage_day_nanos ELSE 0 END) + v_actual, usage_day_start = GREATEST(usage_day_start, p_day),
              usage_week_nanos = (CASE WHEN usage_week_start >= p_week THEN usage_week_nanos ELSE 0 END) + v_actual, usage_week_start = GREATEST(usage_week_start, p_week),
              usage_month_nanos = (CASE WHEN usage_month_start >= p_month THEN usage_month_nanos ELSE 0 END) + v_actual, usage_month_start = GREATEST(usage_month_start, p_month)
             WHERE id = v_key AND held_nanos >= v_amount;
            IF NOT FOUND THEN
              RAISE EXCEPTION 'sy:settle key % holds less than %', v_key, v_amount USING ERRCODE = 'P0002';
            END IF;

            IF v_amount > 0 THEN
              UPDATE ledger_accounts SET balance = balance + (v_amount - v_actual) WHERE code = 'user:' || v_user || ':available'
              RETURNING id INTO v_available;
              UPDATE ledger_accounts SET balance = balance - v_amount WHERE code = 'user:' || v_user || ':held'
              RETURNING id INTO v_held;
              INSERT INTO ledger_journals (idempotency_key, kind, user_id) VALUES ('settle:' || v_item.id, 'settle', v_user) RETURNING id INTO v_journal;
              INSERT INTO ledger_entries (journal_id, account_id, amount)
              SELECT v_journal, e.account, e.amount
                FROM (VALUES (v_available, v_amount - v_actual), (v_held, -v_amount)) AS e(account, amount)
               WHERE e.amount <> 0;
              -- The journal's revenue entry is written below, with the batch's revenue.
              IF v_actual > 0 THEN
                v_journals := v_journals || v_journal;
                v_amounts := v_amounts || v_actual;
              END IF;
            END IF;
            v_ok[v_item.i] := true;
          EXCEPTION WHEN OTHERS THEN
            -- This item's changes are rolled back (its subtransaction); the rest of the batch goes on.
            v_ok[v_item.i] := NULL;
          END;
        END LOOP;

        IF cardinality(v_journals) > 0 THEN
          UPDATE ledger_accounts SET balance = balance + (SELECT sum(a) FROM unnest(v_amounts) AS a) WHERE code = p_revenue_code
          RETURNING id INTO v_revenue;
          IF NOT FOUND THEN
            -- The shard's first settlement ever; a concurrent one may create it first.
            INSERT INTO ledger_accounts (code, kind) VALUES (p_revenue_code, 'usage_revenue') ON CONFLICT (code) DO NOTHING;
            UPDATE ledger_accounts SET balance = balance + (SELECT sum(a) FROM unnest(v_amounts) AS a) WHERE code = p_revenue_code
            RETURNING id INTO v_revenue;
          END IF;
          INSERT INTO ledger_entries (journal_id, account_id, amount)
          SELECT j, v_revenue, a FROM unnest(v_journals, v_amounts) AS t(j, a);
        END IF;
        RETURN v_ok;
      END
$$;`);
    await queryRunner.query(`
CREATE PROCEDURE sy_settle_many_unlocked(p_ids varchar[], p_actuals bigint[], p_reasons varchar[], p_day date, p_week date, p_month date,
                                                    p_revenue_code varchar, INOUT oks boolean[] DEFAULT NULL)
LANGUAGE plpgsql AS $$
      DECLARE
        v_first varchar;
      BEGIN
        PERFORM set_config('synchronous_commit', 'off', true);
        oks := sy_settle_many(p_ids, p_actuals, p_reasons, p_day, p_week, p_month, p_revenue_code);
        COMMIT;
        SELECT t.id INTO v_first FROM unnest(p_ids, oks) AS t(id, ok) WHERE t.ok LIMIT 1;
        IF v_first IS NOT NULL THEN
          -- A write of a row no other request touches, committed synchronously: it waits for the
          -- flush up to itself, the whole batch included.
          UPDATE credit_holds SET status = status WHERE id = v_first;
        END IF;
      END
$$;`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP PROCEDURE sy_settle_many_unlocked(varchar[], bigint[], varchar[], date, date, date, varchar, boolean[])`);
    await queryRunner.query(`DROP FUNCTION sy_settle_many(varchar[], bigint[], varchar[], date, date, date, varchar)`);
  }
}
