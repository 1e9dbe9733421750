import { MigrationInterface, QueryRunner } from "typeorm";

export class CreateLedgerHoldsTopupsAndStripeEvents1795293966103 implements MigrationInterface {
    name = 'CreateLedgerHoldsTopupsAndStripeEvents1795293966103'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "credit_holds" (
                "id" character varying(40) NOT NULL,
                "user_id" uuid NOT NULL,
                "key_id" uuid NOT NULL,
                "amount" bigint NOT NULL,
                "prompt_cost" bigint NOT NULL DEFAULT '0',
                "completion_price" bigint NOT NULL DEFAULT '0',
                "status" character varying(10) NOT NULL DEFAULT 'open',
                "actual" bigint,
                "reason" character varying(16),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "settled_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "chk_credit_holds_amounts" CHECK (
                    "amount" >= 0
                    AND (
                        "actual" IS NULL
                        OR (
                            "actual" >= 0
                            AND "actual" <= "amount"
                        )
                    )
                ),
                CONSTRAINT "PK_d8f088c9664213c62b45b222a45" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_credit_holds_open" ON "credit_holds" ("created_at")
            WHERE "status" = 'open'
        `);
        await queryRunner.query(`
            CREATE TABLE "disputes" (
                "id" character varying(255) NOT NULL,
                "user_id" uuid NOT NULL,
                "topup_id" uuid NOT NULL,
                "amount_nanos" bigint NOT NULL,
                "from_available" bigint NOT NULL DEFAULT '0',
                "from_receivable" bigint NOT NULL DEFAULT '0',
                "status" character varying(8) NOT NULL DEFAULT 'open',
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "closed_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "PK_3c97580d01c1a4b0b345c42a107" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_disputes_user" ON "disputes" ("user_id")
        `);
        await queryRunner.query(`
            CREATE TABLE "ledger_accounts" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "code" character varying(100) NOT NULL,
                "kind" character varying(20) NOT NULL,
                "user_id" uuid,
                "balance" bigint NOT NULL DEFAULT '0',
                "frozen" boolean NOT NULL DEFAULT false,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "chk_ledger_accounts_owner" CHECK (
                    ("user_id" IS NULL) = (
                        "kind" NOT IN ('available', 'held', 'disputed', 'receivable')
                    )
                ),
                CONSTRAINT "chk_ledger_accounts_receivable_nonpos" CHECK (
                    "kind" <> 'receivable'
                    OR "balance" <= 0
                ),
                CONSTRAINT "chk_ledger_accounts_user_credit_nonneg" CHECK (
                    "kind" NOT IN ('available', 'held', 'disputed')
                    OR "balance" >= 0
                ),
                CONSTRAINT "PK_62b34396dda564757cf123fff0e" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_ledger_accounts_code" ON "ledger_accounts" ("code")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_ledger_accounts_user_kind" ON "ledger_accounts" ("user_id", "kind")
            WHERE "user_id" IS NOT NULL
        `);
        await queryRunner.query(`
            CREATE TABLE "ledger_journals" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "idempotency_key" character varying(200) NOT NULL,
                "kind" character varying(32) NOT NULL,
                "user_id" uuid,
                "memo" character varying(500),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_29a6f30e8f1cc9f0d184dcdc78e" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_ledger_journals_idempotency_key" ON "ledger_journals" ("idempotency_key")
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_ledger_journals_user_created" ON "ledger_journals" ("user_id", "created_at")
        `);
        await queryRunner.query(`
            CREATE TABLE "ledger_entries" (
                "id" BIGSERIAL NOT NULL,
                "journal_id" uuid NOT NULL,
                "account_id" uuid NOT NULL,
                "amount" bigint NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_6efcb84411d3f08b08450ae75d5" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_ledger_entries_journal" ON "ledger_entries" ("journal_id")
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_ledger_entries_account" ON "ledger_entries" ("account_id", "id")
        `);
        await queryRunner.query(`
            CREATE TABLE "stripe_events" (
                "id" character varying(255) NOT NULL,
                "type" character varying(100) NOT NULL,
                "payload" jsonb NOT NULL,
                "received_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "processed_at" TIMESTAMP WITH TIME ZONE,
                "attempts" integer NOT NULL DEFAULT '0',
                "last_error" character varying(500),
                CONSTRAINT "PK_d3247bd5fc3f66b6982bbcdd897" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_stripe_events_unprocessed" ON "stripe_events" ("received_at")
            WHERE "processed_at" IS NULL
        `);
        await queryRunner.query(`
            CREATE TABLE "topups" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "user_id" uuid NOT NULL,
                "amount_cents" integer NOT NULL,
                "fee_cents" integer NOT NULL,
                "currency" character varying(3) NOT NULL DEFAULT 'usd',
                "status" character varying(12) NOT NULL DEFAULT 'pending',
                "checkout_session_id" character varying(255),
                "payment_intent_id" character varying(255),
                "refunded_nanos" bigint NOT NULL DEFAULT '0',
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "credited_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "chk_topups_amounts" CHECK (
                    "amount_cents" > 0
                    AND "fee_cents" >= 0
                    AND "refunded_nanos" >= 0
                ),
                CONSTRAINT "PK_fbfc343134573ee4a34f9785208" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_topups_user" ON "topups" ("user_id")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_topups_checkout_session" ON "topups" ("checkout_session_id")
            WHERE "checkout_session_id" IS NOT NULL
        `);
        await queryRunner.query(`
            CREATE INDEX "ix_topups_payment_intent" ON "topups" ("payment_intent_id")
        `);
        await queryRunner.query(`
            ALTER TABLE "ledger_entries"
            ADD CONSTRAINT "FK_eb8319b4cf6d3bc2eb781526690" FOREIGN KEY ("journal_id") REFERENCES "ledger_journals"("id") ON DELETE RESTRICT ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "ledger_entries"
            ADD CONSTRAINT "FK_e4440167e470be69f9622c1ceab" FOREIGN KEY ("account_id") REFERENCES "ledger_accounts"("id") ON DELETE RESTRICT ON UPDATE NO ACTION
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "ledger_entries" DROP CONSTRAINT "FK_e4440167e470be69f9622c1ceab"
        `);
        await queryRunner.query(`
            ALTER TABLE "ledger_entries" DROP CONSTRAINT "FK_eb8319b4cf6d3bc2eb781526690"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_topups_payment_intent"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."uq_topups_checkout_session"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_topups_user"
        `);
        await queryRunner.query(`
            DROP TABLE "topups"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_stripe_events_unprocessed"
        `);
        await queryRunner.query(`
            DROP TABLE "stripe_events"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_ledger_entries_account"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_ledger_entries_journal"
        `);
        await queryRunner.query(`
            DROP TABLE "ledger_entries"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_ledger_journals_user_created"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."uq_ledger_journals_idempotency_key"
        `);
        await queryRunner.query(`
            DROP TABLE "ledger_journals"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."uq_ledger_accounts_user_kind"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."uq_ledger_accounts_code"
        `);
        await queryRunner.query(`
            DROP TABLE "ledger_accounts"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_disputes_user"
        `);
        await queryRunner.query(`
            DROP TABLE "disputes"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ix_credit_holds_open"
        `);
        await queryRunner.query(`
            DROP TABLE "credit_holds"
        `);
    }

}
