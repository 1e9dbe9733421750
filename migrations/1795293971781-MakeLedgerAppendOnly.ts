import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Journals and entries are append-only: corrections are new journals. A trigger enforces it for
 * every role (the app may connect as a superuser, which table privileges would not stop).
 */
export class MakeLedgerAppendOnly1795293971781 implements MigrationInterface {
    name = 'MakeLedgerAppendOnly1795293971781';

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'ledger % is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
            END
            $$
        `);
        for (const table of ['ledger_journals', 'ledger_entries']) {
            await queryRunner.query(`CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON "${table}" FOR EACH ROW EXECUTE FUNCTION ledger_append_only()`);
            await queryRunner.query(`CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON "${table}" FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only()`);
            await queryRunner.query(`REVOKE UPDATE, DELETE, TRUNCATE ON "${table}" FROM PUBLIC`);
        }
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        for (const table of ['ledger_journals', 'ledger_entries']) {
            await queryRunner.query(`DROP TRIGGER ${table}_no_truncate ON "${table}"`);
            await queryRunner.query(`DROP TRIGGER ${table}_append_only ON "${table}"`);
        }
        await queryRunner.query(`DROP FUNCTION ledger_append_only()`);
    }
}
