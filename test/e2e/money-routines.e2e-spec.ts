import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { testDatabaseUrl } from '../support/test-env';

const SOURCE = join(__dirname, '..', '..', 'src', 'credits', 'sql', 'money-routines.sql');

/** Every routine of a schema as Postgres prints it, schema-qualified names made `public.`, whitespace collapsed. */
async function definitions(c: Client, schema: string): Promise<Record<string, string>> {
  const { rows } = await c.query<{ name: string; def: string }>(
    `SELECT p.proname AS name, pg_get_functiondef(p.oid) AS def
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = $1 AND p.prokind IN ('f', 'p')
        -- An extension's functions (pgcrypto's, say) are the extension's, not the migrations'.
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
      ORDER BY 1`,
    [schema],
  );
  const qualified = new RegExp(`\\b${schema}\\.`, 'g');
  return Object.fromEntries(rows.map((r) => [r.name, r.def.replace(qualified, 'public.').replace(/\s+/g, ' ').trim()]));
}

describe('the money routines in src/credits/sql are what the migrated database runs', () => {
  let c: Client;
  beforeAll(async () => {
    c = new Client({ connectionString: testDatabaseUrl() });
    await c.connect();
  });
  afterAll(() => c.end());

  it('every routine the migrations leave in the database has the same definition in money-routines.sql', async () => {
    const migrated = await definitions(c, 'public');
    // The source file, created in a scratch schema that the rollback removes again.
    const scratch = `money_routines_${process.pid}`;
    await c.query('BEGIN');
    let source: Record<string, string>;
    try {
      await c.query(`CREATE SCHEMA ${scratch}`);
      await c.query(`SET LOCAL search_path TO ${scratch}`);
      await c.query(readFileSync(SOURCE, 'utf8'));
      source = await definitions(c, scratch);
    } finally {
      await c.query('ROLLBACK');
    }
    expect(Object.keys(migrated)).toEqual(expect.arrayContaining(['sy_hold', 'sy_hold_async', 'sy_settle', 'sy_settle_unlocked']));
    expect(source).toEqual(migrated);
  });
});
