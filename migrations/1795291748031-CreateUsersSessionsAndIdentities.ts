import { MigrationInterface, QueryRunner } from "typeorm";

export class CreateUsersSessionsAndIdentities1795291748031 implements MigrationInterface {
    name = 'CreateUsersSessionsAndIdentities1795291748031'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "users" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "email" character varying(254) NOT NULL,
                "password_hash" character varying(255),
                "email_verified" boolean NOT NULL DEFAULT false,
                "display_name" character varying(100),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_a3ffb1c0c8416b9fc6f907b7433" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_users_email" ON "users" ("email")
        `);
        await queryRunner.query(`
            CREATE TABLE "user_sessions" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "token_hash" character(64) NOT NULL,
                "user_id" uuid NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "user_agent" character varying(255),
                CONSTRAINT "PK_e93e031a5fed190d4789b6bfd83" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_user_sessions_token_hash" ON "user_sessions" ("token_hash")
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_user_sessions_user_id" ON "user_sessions" ("user_id")
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_user_sessions_expires_at" ON "user_sessions" ("expires_at")
        `);
        await queryRunner.query(`
            CREATE TABLE "user_identities" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "issuer" character varying(500) NOT NULL,
                "subject" character varying(255) NOT NULL,
                "user_id" uuid NOT NULL,
                "email" character varying(254) NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_e23bff04e9c3e7b785e442b262c" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_user_identities_user_id" ON "user_identities" ("user_id")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_user_identities_issuer_subject" ON "user_identities" ("issuer", "subject")
        `);
        await queryRunner.query(`
            ALTER TABLE "user_sessions"
            ADD CONSTRAINT "FK_e9658e959c490b0a634dfc54783" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "user_identities"
            ADD CONSTRAINT "FK_bf5fe01eb8cad7114b4c371cdc7" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "user_identities" DROP CONSTRAINT "FK_bf5fe01eb8cad7114b4c371cdc7"
        `);
        await queryRunner.query(`
            ALTER TABLE "user_sessions" DROP CONSTRAINT "FK_e9658e959c490b0a634dfc54783"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."uq_user_identities_issuer_subject"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_user_identities_user_id"
        `);
        await queryRunner.query(`
            DROP TABLE "user_identities"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_user_sessions_expires_at"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_user_sessions_user_id"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."uq_user_sessions_token_hash"
        `);
        await queryRunner.query(`
            DROP TABLE "user_sessions"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."uq_users_email"
        `);
        await queryRunner.query(`
            DROP TABLE "users"
        `);
    }

}
