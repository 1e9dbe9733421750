import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `sy_hold_async`: sy_hold committed without waiting for the WAL flush (synchronous_commit off
 * for that transaction only). A hold is a reservation, not a payment: if Postgres itself crashes,
 * at most the last few hundred milliseconds of holds are lost whole (never half), and they belong
 * to requests still in flight, whose settlement then finds no hold and books nothing. Any later
 * synchronous commit (every settlement, top-up and refund) flushes the WAL up to itself, holds
 * included, so a settled hold is always durable.
 */
export class CommitHoldsAsynchronously1795299835820 implements MigrationInterface {
  name = 'CommitHoldsAsynchronously1795299835820';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION sy_hold_async(p_id varchar, p_user uuid, p_key uuid, p_amount bigint, p_prompt_cost bigint,
                                    p_completion_price bigint, p_now timestamptz, p_day date, p_week date, p_month date)
      RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        -- Local to the caller's transaction, so it must be the single statement's implicit one.
        PERFORM set_config('synchronous_commit', 'off', true);
        PERFORM sy_hold(p_id, p_user, p_key, p_amount, p_prompt_cost, p_completion_price, p_now, p_day, p_week, p_month);
      END
      $$
    `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION sy_hold_async(varchar, uuid, uuid, bigint, bigint, bigint, timestamptz, date, date, date)`);
  }
}
