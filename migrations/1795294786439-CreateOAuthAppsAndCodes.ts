import { MigrationInterface, QueryRunner } from "typeorm";

export class CreateOAuthAppsAndCodes1795294786439 implements MigrationInterface {
    name = 'CreateOAuthAppsAndCodes1795294786439'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "oauth_apps" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "client_id" character varying(64) NOT NULL,
                "kind" character varying(16) NOT NULL,
                "name" character varying(100) NOT NULL,
                "homepage" character varying(500),
                "origin" character varying(300),
                "redirect_uris" jsonb NOT NULL DEFAULT '[]',
                "confidential" boolean NOT NULL DEFAULT false,
                "client_secret_hash" character(64),
                "owner_user_id" uuid,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "chk_oauth_apps_secret" CHECK (
                    "confidential" = ("client_secret_hash" IS NOT NULL)
                ),
                CONSTRAINT "chk_oauth_apps_origin" CHECK (("kind" = 'origin') = ("origin" IS NOT NULL)),
                CONSTRAINT "chk_oauth_apps_kind" CHECK ("kind" IN ('registered', 'origin')),
                CONSTRAINT "PK_8871ea4a8e0f9f551e53908e0f1" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_oauth_apps_client_id" ON "oauth_apps" ("client_id")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_oauth_apps_origin" ON "oauth_apps" ("origin")
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_oauth_apps_owner_user_id" ON "oauth_apps" ("owner_user_id")
        `);
        await queryRunner.query(`
            CREATE TABLE "oauth_authorization_codes" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "code_hash" character(64) NOT NULL,
                "app_id" uuid NOT NULL,
                "user_id" uuid NOT NULL,
                "flow" character varying(16) NOT NULL,
                "redirect_uri" character varying(2000) NOT NULL,
                "code_challenge" character varying(43) NOT NULL,
                "code_challenge_method" character varying(8) NOT NULL,
                "scope" character varying(200) NOT NULL,
                "key_name" character varying(200) NOT NULL,
                "limit_nanos" bigint,
                "limit_reset" character varying(8),
                "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "consumed_at" TIMESTAMP WITH TIME ZONE,
                "api_key_id" uuid,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "chk_oauth_authorization_codes_limit_reset" CHECK (
                    "limit_reset" IS NULL
                    OR "limit_reset" IN ('daily', 'weekly', 'monthly')
                ),
                CONSTRAINT "chk_oauth_authorization_codes_method" CHECK ("code_challenge_method" = 'S256'),
                CONSTRAINT "chk_oauth_authorization_codes_flow" CHECK ("flow" IN ('oauth', 'openrouter')),
                CONSTRAINT "PK_441350d3fce3606534fbb2c1197" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_oauth_authorization_codes_code_hash" ON "oauth_authorization_codes" ("code_hash")
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_oauth_authorization_codes_app_id" ON "oauth_authorization_codes" ("app_id")
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_oauth_authorization_codes_user_id" ON "oauth_authorization_codes" ("user_id")
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_oauth_authorization_codes_expires_at" ON "oauth_authorization_codes" ("expires_at")
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_oauth_authorization_codes_api_key_id" ON "oauth_authorization_codes" ("api_key_id")
        `);
        await queryRunner.query(`
            CREATE TABLE "oauth_authorization_requests" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "csrf_hash" character(64) NOT NULL,
                "session_id" uuid NOT NULL,
                "user_id" uuid NOT NULL,
                "app_id" uuid NOT NULL,
                "flow" character varying(16) NOT NULL,
                "redirect_uri" character varying(2000) NOT NULL,
                "state" character varying(1024),
                "code_challenge" character varying(43) NOT NULL,
                "scope" character varying(200) NOT NULL,
                "key_label" character varying(200),
                "requested_limit_nanos" bigint,
                "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "decided_at" TIMESTAMP WITH TIME ZONE,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "chk_oauth_authorization_requests_flow" CHECK ("flow" IN ('oauth', 'openrouter')),
                CONSTRAINT "PK_b58675383b1918c882a67ab32e8" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_oauth_authorization_requests_session_id" ON "oauth_authorization_requests" ("session_id")
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_oauth_authorization_requests_expires_at" ON "oauth_authorization_requests" ("expires_at")
        `);
        await queryRunner.query(`
            ALTER TABLE "api_keys"
            ADD "app_id" uuid
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_api_keys_app_id" ON "api_keys" ("app_id")
        `);
        await queryRunner.query(`
            ALTER TABLE "oauth_apps"
            ADD CONSTRAINT "FK_effbb21be4f1afa1516f15ed0b4" FOREIGN KEY ("owner_user_id") REFERENCES "users"("id") ON DELETE
            SET NULL ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "oauth_authorization_codes"
            ADD CONSTRAINT "FK_e7c26f05f40fd78c69ac62726ca" FOREIGN KEY ("app_id") REFERENCES "oauth_apps"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "oauth_authorization_codes"
            ADD CONSTRAINT "FK_1b5d11edec13074db58972ed81e" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "oauth_authorization_codes"
            ADD CONSTRAINT "FK_5ef538f28f392d4800877e5bd68" FOREIGN KEY ("api_key_id") REFERENCES "api_keys"("id") ON DELETE
            SET NULL ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "oauth_authorization_requests"
            ADD CONSTRAINT "FK_6c2d67078b8c93b0068f9c00884" FOREIGN KEY ("session_id") REFERENCES "user_sessions"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "oauth_authorization_requests"
            ADD CONSTRAINT "FK_24e5d80e40a5e0114ae80d4bf74" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "oauth_authorization_requests"
            ADD CONSTRAINT "FK_1a3f85e0311fcb415c63bd16b1b" FOREIGN KEY ("app_id") REFERENCES "oauth_apps"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "oauth_authorization_requests" DROP CONSTRAINT "FK_1a3f85e0311fcb415c63bd16b1b"
        `);
        await queryRunner.query(`
            ALTER TABLE "oauth_authorization_requests" DROP CONSTRAINT "FK_24e5d80e40a5e0114ae80d4bf74"
        `);
        await queryRunner.query(`
            ALTER TABLE "oauth_authorization_requests" DROP CONSTRAINT "FK_6c2d67078b8c93b0068f9c00884"
        `);
        await queryRunner.query(`
            ALTER TABLE "oauth_authorization_codes" DROP CONSTRAINT "FK_5ef538f28f392d4800877e5bd68"
        `);
        await queryRunner.query(`
            ALTER TABLE "oauth_authorization_codes" DROP CONSTRAINT "FK_1b5d11edec13074db58972ed81e"
        `);
        await queryRunner.query(`
            ALTER TABLE "oauth_authorization_codes" DROP CONSTRAINT "FK_e7c26f05f40fd78c69ac62726ca"
        `);
        await queryRunner.query(`
            ALTER TABLE "oauth_apps" DROP CONSTRAINT "FK_effbb21be4f1afa1516f15ed0b4"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_api_keys_app_id"
        `);
        await queryRunner.query(`
            ALTER TABLE "api_keys" DROP COLUMN "app_id"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_oauth_authorization_requests_expires_at"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_oauth_authorization_requests_session_id"
        `);
        await queryRunner.query(`
            DROP TABLE "oauth_authorization_requests"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_oauth_authorization_codes_api_key_id"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_oauth_authorization_codes_expires_at"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_oauth_authorization_codes_user_id"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_oauth_authorization_codes_app_id"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."uq_oauth_authorization_codes_code_hash"
        `);
        await queryRunner.query(`
            DROP TABLE "oauth_authorization_codes"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_oauth_apps_owner_user_id"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."uq_oauth_apps_origin"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."uq_oauth_apps_client_id"
        `);
        await queryRunner.query(`
            DROP TABLE "oauth_apps"
        `);
    }

}
