import { MigrationInterface, QueryRunner } from "typeorm";

/** One-time links sent by email: address verification and password reset (only their SHA-256 is stored). */
export class CreateUserEmailTokens1795320250000 implements MigrationInterface {
    name = 'CreateUserEmailTokens1795320250000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "user_email_tokens" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "token_hash" character(64) NOT NULL,
                "user_id" uuid NOT NULL,
                "purpose" character varying(16) NOT NULL,
                "email" character varying(254) NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "used_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "PK_user_email_tokens" PRIMARY KEY ("id"),
                CONSTRAINT "ck_user_email_tokens_purpose" CHECK ("purpose" IN ('verify_email', 'reset_password')),
                CONSTRAINT "FK_user_email_tokens_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_user_email_tokens_token_hash" ON "user_email_tokens" ("token_hash")
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_user_email_tokens_user_id" ON "user_email_tokens" ("user_id")
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_user_email_tokens_expires_at" ON "user_email_tokens" ("expires_at")
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TABLE "user_email_tokens"`);
    }
}
