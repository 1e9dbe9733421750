import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The console's generation queries (newest-first pages on (created_at, id), activity sums per
 * bucket and model/key/app) read one user's rows by time: this index orders them as the pages do
 * and carries the summed columns, so both are index-only scans. It replaces (user_id, created_at).
 */
export class IndexUserGenerationsForPagesAndActivity1795320600000 implements MigrationInterface {
  name = 'IndexUserGenerationsForPagesAndActivity1795320600000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE INDEX "ix_generations_user_created_id" ON "generations" ("user_id", "created_at", "id")
      INCLUDE ("cost_nanos", "tokens_prompt", "tokens_completion", "tokens_reasoning", "key_id", "app_id", "error_code", "model", "requested_model", "provider_slug")
    `);
    await queryRunner.query(`DROP INDEX "public"."ix_generations_user_created"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "ix_generations_user_created" ON "generations" ("user_id", "created_at")`);
    await queryRunner.query(`DROP INDEX "public"."ix_generations_user_created_id"`);
  }
}
