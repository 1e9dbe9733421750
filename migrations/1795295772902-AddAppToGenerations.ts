import { MigrationInterface, QueryRunner } from "typeorm";

export class AddAppToGenerations1795295772902 implements MigrationInterface {
    name = 'AddAppToGenerations1795295772902'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "generations"
            ADD "app_id" uuid
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_generations_app" ON "generations" ("app_id")
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "public"."ix_generations_app"
        `);
        await queryRunner.query(`
            ALTER TABLE "generations" DROP COLUMN "app_id"
        `);
    }

}
