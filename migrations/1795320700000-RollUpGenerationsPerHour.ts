import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Hourly sums of each user's generations per model, endpoint (provider), key and app, kept by the
 * statement that inserts the generations (only rows it really inserted count, so a replayed job
 * adds nothing). Activity charts, GET /api/v1/activity and its CSV read these few rows instead of
 * every generation. Existing generations are summed in here once.
 */
export class RollUpGenerationsPerHour1795320700000 implements MigrationInterface {
  name = 'RollUpGenerationsPerHour1795320700000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "generation_hourly" (
        "user_id" uuid NOT NULL,
        "hour" timestamptz NOT NULL,
        "model" varchar(200) NOT NULL,
        "provider_slug" varchar(64),
        "provider_name" varchar(100),
        "key_id" uuid NOT NULL,
        "app_id" uuid,
        "requests" integer NOT NULL,
        "cost_nanos" bigint NOT NULL,
        "tokens_prompt" bigint NOT NULL,
        "tokens_completion" bigint NOT NULL,
        "tokens_reasoning" bigint NOT NULL
      )
    `);
    await queryRunner.query(`
      CREATE UNIQUE INDEX "uq_generation_hourly" ON "generation_hourly" ("user_id", "hour", "model", "provider_slug", "key_id", "app_id") NULLS NOT DISTINCT
    `);
    await queryRunner.query(`
      INSERT INTO "generation_hourly" (user_id, hour, model, provider_slug, provider_name, key_id, app_id, requests, cost_nanos, tokens_prompt, tokens_completion, tokens_reasoning)
      SELECT user_id, date_trunc('hour', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', COALESCE(model, requested_model), provider_slug, MAX(provider_name),
             key_id, app_id, COUNT(*), SUM(cost_nanos), SUM(tokens_prompt), SUM(tokens_completion), SUM(tokens_reasoning)
      FROM "generations" GROUP BY 1, 2, 3, 4, 6, 7
    `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "generation_hourly"`);
  }
}
