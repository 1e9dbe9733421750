import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * OpenRouter's API shows apps by integer id (a generation's `app_id`), and its SDK refuses any
 * other type. Every app gets a stable integer of its own: existing apps are numbered when the
 * column is added, new ones as they are created, and a number is never reused.
 */
export class NumberOAuthAppsForOpenRouterAppIds1796202786883 implements MigrationInterface {
  name = 'NumberOAuthAppsForOpenRouterAppIds1796202786883';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "oauth_apps" ADD "public_id" integer GENERATED ALWAYS AS IDENTITY NOT NULL`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_oauth_apps_public_id" ON "oauth_apps" ("public_id")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."uq_oauth_apps_public_id"`);
    await queryRunner.query(`ALTER TABLE "oauth_apps" DROP COLUMN "public_id"`);
  }
}
