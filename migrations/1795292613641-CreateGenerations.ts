import { MigrationInterface, QueryRunner } from "typeorm";

export class CreateGenerations1795292613641 implements MigrationInterface {
    name = 'CreateGenerations1795292613641'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "generations" (
                "id" character varying(40) NOT NULL,
                "user_id" uuid NOT NULL,
                "key_id" uuid NOT NULL,
                "request_id" character varying(128) NOT NULL,
                "api_type" character varying(16) NOT NULL,
                "requested_model" character varying(200) NOT NULL,
                "model" character varying(200),
                "provider_slug" character varying(64),
                "provider_name" character varying(100),
                "upstream_model" character varying(200),
                "streamed" boolean NOT NULL DEFAULT false,
                "cancelled" boolean NOT NULL DEFAULT false,
                "finish_reason" character varying(32),
                "native_finish_reason" character varying(64),
                "tokens_prompt" integer NOT NULL DEFAULT '0',
                "tokens_completion" integer NOT NULL DEFAULT '0',
                "tokens_cached" integer NOT NULL DEFAULT '0',
                "tokens_reasoning" integer NOT NULL DEFAULT '0',
                "usage_estimated" boolean NOT NULL DEFAULT false,
                "cost_nanos" bigint NOT NULL DEFAULT '0',
                "hold_nanos" bigint NOT NULL DEFAULT '0',
                "latency_ms" integer NOT NULL DEFAULT '0',
                "ttft_ms" integer,
                "generation_time_ms" integer NOT NULL DEFAULT '0',
                "http_referer" character varying(500),
                "app_title" character varying(200),
                "user_agent" character varying(300),
                "external_user" character varying(256),
                "session_id" character varying(256),
                "error_code" integer,
                "error_message" character varying(500),
                "attempts" jsonb NOT NULL DEFAULT '[]',
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_9d2a52fbde1fba42c24ec42ddd2" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_generations_key_created" ON "generations" ("key_id", "created_at")
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_generations_user_created" ON "generations" ("user_id", "created_at")
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "public"."ix_generations_user_created"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_generations_key_created"
        `);
        await queryRunner.query(`
            DROP TABLE "generations"
        `);
    }

}
