import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The Keys page shows when each key was last used, read from the newest generation of each key
 * rather than written on every request. This index lets that lookup skip from one key of a user
 * to the next and read each key's newest row directly, so it costs a few index probes per key
 * whatever the number of the user's generations.
 */
export class IndexGenerationsPerUserKeyForLastUse1795320800000 implements MigrationInterface {
  name = 'IndexGenerationsPerUserKeyForLastUse1795320800000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "ix_generations_user_key_created" ON "generations" ("user_id", "key_id", "created_at")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_generations_user_key_created"`);
  }
}
