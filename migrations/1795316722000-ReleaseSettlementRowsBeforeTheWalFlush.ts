import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `sy_settle_unlocked`, a procedure: sy_settle committed without waiting for the WAL flush, then a
 * second, synchronous transaction that waits for it. CALL returns once the settlement is on disk,
 * as `SELECT sy_settle(...)` does; what changes is that its rows (the user's balance and spend, the
 * key's spend) are unlocked before the flush instead of after it. The next request of the same
 * user or key takes its hold on those rows, and had spent about 30% of its hold waiting behind the
 * previous settlement's flush (measured at concurrency 1).
 *
 * Between that commit and the flush, other sessions can read the settlement before it is durable.
 * If Postgres crashes in that window the settlement is lost whole, as if the crash had come before
 * its commit: the call fails, and the hold, open again, goes to the sweeper like any hold whose
 * settlement failed. Whatever durable thing is written after it (a synchronous settlement, a
 * top-up, a refund) has a later WAL position, so its own flush takes the settlement with it.
 *
 * Must be called outside a transaction block (COMMIT inside a procedure needs that).
 */
export class ReleaseSettlementRowsBeforeTheWalFlush1795316722000 implements MigrationInterface {
  name = 'ReleaseSettlementRowsBeforeTheWalFlush1795316722000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE PROCEDURE sy_settle_unlocked(p_id varchar, p_actual bigint, p_reason varchar, p_day date, p_week date, p_month date,
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
      $$
    `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP PROCEDURE sy_settle_unlocked(varchar, bigint, varchar, date, date, date, varchar, boolean)`);
  }
}
