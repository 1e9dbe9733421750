import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `/auth` without a callback URL (headless mode, for command-line apps) shows the code on the page
 * instead of sending it to an origin, so its keys belong to no origin app: they go to one app of
 * their own kind, `headless`, of which there is at most one.
 */
export class AllowOneHeadlessOAuthApp1796203639140 implements MigrationInterface {
  name = 'AllowOneHeadlessOAuthApp1796203639140';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "oauth_apps" DROP CONSTRAINT "chk_oauth_apps_kind"`);
    await queryRunner.query(`ALTER TABLE "oauth_apps" ADD CONSTRAINT "chk_oauth_apps_kind" CHECK ("kind" IN ('registered', 'origin', 'headless'))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_oauth_apps_headless" ON "oauth_apps" ("kind") WHERE "kind" = 'headless'`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."uq_oauth_apps_headless"`);
    // Headless keys lose their app (their codes and pending requests go with it); the keys themselves stay the user's.
    await queryRunner.query(`UPDATE "api_keys" SET "app_id" = NULL WHERE "app_id" IN (SELECT "id" FROM "oauth_apps" WHERE "kind" = 'headless')`);
    await queryRunner.query(`DELETE FROM "oauth_apps" WHERE "kind" = 'headless'`);
    await queryRunner.query(`ALTER TABLE "oauth_apps" DROP CONSTRAINT "chk_oauth_apps_kind"`);
    await queryRunner.query(`ALTER TABLE "oauth_apps" ADD CONSTRAINT "chk_oauth_apps_kind" CHECK ("kind" IN ('registered', 'origin'))`);
  }
}
