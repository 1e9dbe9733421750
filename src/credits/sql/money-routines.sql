-- The SQL that moves money: the current definition of every routine the migrations create, in one
-- readable place. Migrations stay immutable snapshots; this file is what the database runs now, and
-- test/e2e/money-routines.e2e-spec.ts fails when the migrated database and this file differ (bodies
-- compared with whitespace collapsed). To change a routine: write a new migration with the new
-- definition, and the same definition here.
--
-- Called by src/credits/holds.repository.ts: sy_hold_async when a request is admitted, and
-- sy_settle_many_unlocked when it finishes (or when the sweeper settles a hold whose process died),
-- with the other settlements of the same few milliseconds (group commit: one WAL flush for the
-- batch), sy_settle_late when a request's own settlement arrives after the sweeper's.
--
-- The rules they keep:
-- - Lock order, everywhere: the hold row, the user's spend row (user caps), the key's row (key
--   limit), the user's ledger accounts, the platform (usage revenue) account.
-- - A hold reserves on the user caps, the key limit and the balance with conditional UPDATEs, in
--   one transaction: either all three take it or nothing changes. A refusal raises P0001 with
--   `sy:user_cap`, `sy:key` or `sy:balance`, which the repository turns into the matching error.
--   A zero hold still checks caps, key (through the key row: that the key is usable), and that the
--   user is neither frozen nor owing; only a positive one moves ledger money.
-- - "The current period's usage" of a counter is
--     (CASE WHEN usage_<period>_start >= p_<period> THEN usage_<period>_nanos ELSE 0 END):
--   a start date later than ours (a process with a slow clock) counts as the current period, and
--   settlement rolls a period over by taking GREATEST(start, ours).
-- - Settlement is exactly once: a conditional status change on the hold row (open -> settled);
--   a second call finds no open hold and returns false without touching anything. The amount booked
--   is the actual cost clamped to [0, hold]; the rest goes back to available. Caps and key limit
--   release the whole hold and add the actual to every period. Holding less than the hold on either
--   counter means a hold was settled twice: P0002, and the transaction rolls back.
-- - Every ledger movement is a journal whose entries sum to zero, keyed `hold:<id>` / `settle:<id>`.
--   LedgerService (TypeScript) writes the other journals (top-ups, refunds, disputes).
-- - Durability: a hold commits without waiting for the WAL flush (sy_hold_async), since a hold is a
--   reservation, not a payment; a settlement unlocks its rows before the flush and returns after it
--   (sy_settle_unlocked). Whatever durable thing commits later flushes everything before it.

-- sy_hold: reserve `p_amount` for request `p_id` on the user's caps, the key's limit and balance.
-- The hold row remembers what the sweeper needs to bill a request whose process died: the prompt's
-- cost and the completion price (per million tokens).
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
     AND (cap_daily_nanos IS NULL OR (CASE WHEN usage_day_start >= p_day THEN usage_day_nanos ELSE 0 END) + held_nanos + p_amount <= cap_daily_nanos)
     AND (cap_weekly_nanos IS NULL OR (CASE WHEN usage_week_start >= p_week THEN usage_week_nanos ELSE 0 END) + held_nanos + p_amount <= cap_weekly_nanos)
     AND (cap_monthly_nanos IS NULL OR (CASE WHEN usage_month_start >= p_month THEN usage_month_nanos ELSE 0 END) + held_nanos + p_amount <= cap_monthly_nanos);
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
          (CASE limit_reset WHEN 'daily' THEN (CASE WHEN usage_day_start >= p_day THEN usage_day_nanos ELSE 0 END)
                            WHEN 'weekly' THEN (CASE WHEN usage_week_start >= p_week THEN usage_week_nanos ELSE 0 END)
                            WHEN 'monthly' THEN (CASE WHEN usage_month_start >= p_month THEN usage_month_nanos ELSE 0 END)
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
    VALUES (v_journal, v_available, -p_amount), (v_journal, v_held, p_amount);
  ELSE
    -- Nothing to move, but a frozen or owing user is refused all the same. A user without a
    -- ledger account yet (never credited) is neither.
    IF EXISTS (SELECT 1 FROM ledger_accounts WHERE code = 'user:' || p_user || ':available' AND frozen)
       OR EXISTS (SELECT 1 FROM ledger_accounts r WHERE r.code = 'user:' || p_user || ':receivable' AND r.balance < 0) THEN
      RAISE EXCEPTION 'sy:balance' USING ERRCODE = 'P0001';
    END IF;
  END IF;
END
$$;

-- sy_hold_async: sy_hold committed without waiting for the WAL flush (synchronous_commit off for
-- that transaction only). If Postgres itself crashes, at most the last few hundred milliseconds of
-- holds are lost whole (never half); they belong to requests still in flight, whose settlement then
-- finds no hold and books nothing. Any later synchronous commit flushes the WAL up to itself, holds
-- included, so a settled hold is always durable.
CREATE OR REPLACE FUNCTION sy_hold_async(p_id varchar, p_user uuid, p_key uuid, p_amount bigint, p_prompt_cost bigint,
                                         p_completion_price bigint, p_now timestamptz, p_day date, p_week date, p_month date)
RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        -- Local to the caller's transaction, so it must be the single statement's implicit one.
        PERFORM set_config('synchronous_commit', 'off', true);
        PERFORM sy_hold(p_id, p_user, p_key, p_amount, p_prompt_cost, p_completion_price, p_now, p_day, p_week, p_month);
      END
$$;

-- sy_settle: book `p_actual` (clamped to [0, hold]) for request `p_id` and release the rest, exactly
-- once; false when the hold is not open (settled already, or never committed). The usage revenue
-- account is sharded (`p_revenue_code`) so concurrent settlements do not queue on one row; a shard's
-- account is created by its first settlement.
CREATE OR REPLACE FUNCTION sy_settle(p_id varchar, p_actual bigint, p_reason varchar, p_day date, p_week date, p_month date, p_revenue_code varchar)
RETURNS boolean LANGUAGE plpgsql AS $$
      DECLARE
        v_user uuid;
        v_key uuid;
        v_amount bigint;
        v_actual bigint;
        v_journal uuid;
        v_available uuid;
        v_held uuid;
        v_revenue uuid;
      BEGIN
        UPDATE credit_holds SET status = 'settled', actual = LEAST(GREATEST(p_actual, 0), amount), reason = p_reason, settled_at = now()
         WHERE id = p_id AND status = 'open'
        RETURNING user_id, key_id, amount, actual INTO v_user, v_key, v_amount, v_actual;
        IF NOT FOUND THEN
          RETURN false;
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
          UPDATE ledger_accounts SET balance = balance + v_actual WHERE code = p_revenue_code
          RETURNING id INTO v_revenue;
          IF NOT FOUND THEN
            -- The shard's first settlement ever; a concurrent one may create it first.
            INSERT INTO ledger_accounts (code, kind) VALUES (p_revenue_code, 'usage_revenue') ON CONFLICT (code) DO NOTHING;
            UPDATE ledger_accounts SET balance = balance + v_actual WHERE code = p_revenue_code
            RETURNING id INTO v_revenue;
          END IF;
          INSERT INTO ledger_journals (idempotency_key, kind, user_id) VALUES ('settle:' || p_id, 'settle', v_user) RETURNING id INTO v_journal;
          INSERT INTO ledger_entries (journal_id, account_id, amount)
          SELECT v_journal, e.account, e.amount
            FROM (VALUES (v_available, v_amount - v_actual), (v_held, -v_amount), (v_revenue, v_actual)) AS e(account, amount)
           WHERE e.amount <> 0;
        END IF;
        RETURN true;
      END
$$;

-- sy_settle_unlocked, a procedure: sy_settle committed without waiting for the WAL flush, then a
-- second, synchronous transaction that waits for it. CALL returns once the settlement is on disk, as
-- `SELECT sy_settle(...)` does; what changes is that its rows (the user's balance and spend, the
-- key's spend) are unlocked before the flush instead of after it, so the next request of the same
-- user or key does not wait behind the previous settlement's flush.
-- Between that commit and the flush, other sessions can read the settlement before it is durable.
-- If Postgres crashes in that window the settlement is lost whole, as if the crash had come before
-- its commit: the call fails, and the hold, open again, goes to the sweeper like any hold whose
-- settlement failed. Must be called outside a transaction block (COMMIT inside a procedure needs it).
CREATE OR REPLACE PROCEDURE sy_settle_unlocked(p_id varchar, p_actual bigint, p_reason varchar, p_day date, p_week date, p_month date,
                                               p_revenue_code varchar, INOUT ok boolean DEFAULT NULL)
LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM set_config('synchronous_commit', 'off', true);
        ok := sy_settle(p_id, p_actual, p_reason, p_day, p_week, p_month, p_revenue_code);
        COMMIT;
        IF ok THEN
          -- A transaction commits synchronously only if it wrote WAL (a bare transaction id is not
          -- enough), so it rewrites the hold's own row, which no other request touches. Its commit,
          -- under the session's synchronous_commit, waits for the flush up to itself, settlement included.
          UPDATE credit_holds SET status = status WHERE id = p_id;
        END IF;
      END
$$;

-- sy_settle_many: settles many holds in one transaction (one WAL flush for all of them), each as
-- sy_settle would, in a subtransaction of its own: an item that fails (P0002, a deadlock victim,
-- anything) leaves a NULL in the result and the others settle. Per item: true = settled now,
-- false = not open (settled already), NULL = failed (its caller tries again). Lock order: every
-- hold row of the batch first (by id, as the sweeper's sy_settle takes a hold row before its
-- user's), then item by item sorted by user and key, the user's and key's rows; the batch's usage
-- revenue (one shard for the batch) last, once, with the sum.
CREATE OR REPLACE FUNCTION sy_settle_many(p_ids varchar[], p_actuals bigint[], p_reasons varchar[], p_day date, p_week date, p_month date,
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
$$;

-- sy_settle_many_unlocked, a procedure: sy_settle_many committed without waiting for the WAL flush,
-- then one synchronous transaction that waits for it (as sy_settle_unlocked does for one hold): the
-- batch's rows are unlocked before the flush, and CALL returns once every settlement of the batch is
-- on disk. If Postgres crashes in between, the batch is lost whole and its holds, open again, are
-- settled again by their callers' retries or the sweeper. Must be called outside a transaction block.
CREATE OR REPLACE PROCEDURE sy_settle_many_unlocked(p_ids varchar[], p_actuals bigint[], p_reasons varchar[], p_day date, p_week date, p_month date,
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
$$;

-- ledger_append_only: the trigger behind "the ledger is append-only" on ledger_journals and
-- ledger_entries (UPDATE, DELETE and TRUNCATE refused for every role, superusers included);
-- corrections are new journals.
-- A settlement that arrives after the sweeper settled its hold books the difference, once
-- (journal settle-late:<id>), owed where the balance cannot cover it.
    CREATE OR REPLACE FUNCTION sy_settle_late(p_id varchar, p_actual bigint, p_day date, p_week date, p_month date, p_revenue_code varchar)
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

      UPDATE user_spend SET 
usage_nanos = usage_nanos + v_diff,
usage_day_nanos = (CASE WHEN usage_day_start >= p_day THEN usage_day_nanos ELSE 0 END) + v_diff, usage_day_start = GREATEST(usage_day_start, p_day),
usage_week_nanos = (CASE WHEN usage_week_start >= p_week THEN usage_week_nanos ELSE 0 END) + v_diff, usage_week_start = GREATEST(usage_week_start, p_week),
usage_month_nanos = (CASE WHEN usage_month_start >= p_month THEN usage_month_nanos ELSE 0 END) + v_diff, usage_month_start = GREATEST(usage_month_start, p_month) WHERE user_id = v_user;
      UPDATE api_keys SET 
usage_nanos = usage_nanos + v_diff,
usage_day_nanos = (CASE WHEN usage_day_start >= p_day THEN usage_day_nanos ELSE 0 END) + v_diff, usage_day_start = GREATEST(usage_day_start, p_day),
usage_week_nanos = (CASE WHEN usage_week_start >= p_week THEN usage_week_nanos ELSE 0 END) + v_diff, usage_week_start = GREATEST(usage_week_start, p_week),
usage_month_nanos = (CASE WHEN usage_month_start >= p_month THEN usage_month_nanos ELSE 0 END) + v_diff, usage_month_start = GREATEST(usage_month_start, p_month) WHERE id = v_key;

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
    $$;

CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'ledger % is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
            END
$$;
