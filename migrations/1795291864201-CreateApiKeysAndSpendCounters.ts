import { MigrationInterface, QueryRunner } from "typeorm";

export class CreateApiKeysAndSpendCounters1795291864201 implements MigrationInterface {
    name = 'CreateApiKeysAndSpendCounters1795291864201'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "api_keys" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "hash" character(64) NOT NULL,
                "label" character varying(40) NOT NULL,
                "name" character varying(200) NOT NULL,
                "user_id" uuid NOT NULL,
                "is_management" boolean NOT NULL DEFAULT false,
                "disabled" boolean NOT NULL DEFAULT false,
                "limit_nanos" bigint,
                "limit_reset" character varying(8),
                "include_byok_in_limit" boolean NOT NULL DEFAULT false,
                "expires_at" TIMESTAMP WITH TIME ZONE,
                "deleted_at" TIMESTAMP WITH TIME ZONE,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "held_nanos" bigint NOT NULL DEFAULT '0',
                "usage_nanos" bigint NOT NULL DEFAULT '0',
                "usage_day_start" date NOT NULL DEFAULT '1970-01-01',
                "usage_day_nanos" bigint NOT NULL DEFAULT '0',
                "usage_week_start" date NOT NULL DEFAULT '1970-01-01',
                "usage_week_nanos" bigint NOT NULL DEFAULT '0',
                "usage_month_start" date NOT NULL DEFAULT '1970-01-01',
                "usage_month_nanos" bigint NOT NULL DEFAULT '0',
                CONSTRAINT "chk_api_keys_held_nonneg" CHECK ("held_nanos" >= 0),
                CONSTRAINT "chk_api_keys_limit_reset" CHECK (
                    "limit_reset" IS NULL
                    OR "limit_reset" IN ('daily', 'weekly', 'monthly')
                ),
                CONSTRAINT "chk_api_keys_limit_nonneg" CHECK (
                    "limit_nanos" IS NULL
                    OR "limit_nanos" >= 0
                ),
                CONSTRAINT "PK_5c8a79801b44bd27b79228e1dad" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_api_keys_hash" ON "api_keys" ("hash")
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_api_keys_user_id" ON "api_keys" ("user_id")
        `);
        await queryRunner.query(`
            CREATE TABLE "user_spend" (
                "user_id" uuid NOT NULL,
                "cap_daily_nanos" bigint,
                "cap_weekly_nanos" bigint,
                "cap_monthly_nanos" bigint,
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "held_nanos" bigint NOT NULL DEFAULT '0',
                "usage_nanos" bigint NOT NULL DEFAULT '0',
                "usage_day_start" date NOT NULL DEFAULT '1970-01-01',
                "usage_day_nanos" bigint NOT NULL DEFAULT '0',
                "usage_week_start" date NOT NULL DEFAULT '1970-01-01',
                "usage_week_nanos" bigint NOT NULL DEFAULT '0',
                "usage_month_start" date NOT NULL DEFAULT '1970-01-01',
                "usage_month_nanos" bigint NOT NULL DEFAULT '0',
                CONSTRAINT "chk_user_spend_held_nonneg" CHECK ("held_nanos" >= 0),
                CONSTRAINT "chk_user_spend_caps_nonneg" CHECK (
                    (
                        "cap_daily_nanos" IS NULL
                        OR "cap_daily_nanos" >= 0
                    )
                    AND (
                        "cap_weekly_nanos" IS NULL
                        OR "cap_weekly_nanos" >= 0
                    )
                    AND (
                        "cap_monthly_nanos" IS NULL
                        OR "cap_monthly_nanos" >= 0
                    )
                ),
                CONSTRAINT "PK_a65a08f9c9465e686cf04aff40a" PRIMARY KEY ("user_id")
            )
        `);
        await queryRunner.query(`
            ALTER TABLE "api_keys"
            ADD CONSTRAINT "FK_a3baee01d8408cd3c0f89a9a973" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "user_spend"
            ADD CONSTRAINT "FK_a65a08f9c9465e686cf04aff40a" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "user_spend" DROP CONSTRAINT "FK_a65a08f9c9465e686cf04aff40a"
        `);
        await queryRunner.query(`
            ALTER TABLE "api_keys" DROP CONSTRAINT "FK_a3baee01d8408cd3c0f89a9a973"
        `);
        await queryRunner.query(`
            DROP TABLE "user_spend"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_api_keys_user_id"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."uq_api_keys_hash"
        `);
        await queryRunner.query(`
            DROP TABLE "api_keys"
        `);
    }

}
