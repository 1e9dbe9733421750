import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/common/config/app-config';
import { dataSourceOptions } from '../../src/common/database/data-source-options';
import { dropDatabase, pendingMigrations, prepareDatabase, runMigrations } from '../../src/common/database/migrator';
import { databaseUrlFor, TEST_REDIS_URL } from '../support/test-env';

const migrationFiles = readdirSync(join(__dirname, '..', '..', 'migrations')).filter((f) => /^\d+-[A-Za-z]+\.ts$/.test(f));

async function tables(url: string): Promise<string[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ t: string }>(
      `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
    );
    return rows.map((r) => r.t);
  } finally {
    await c.end();
  }
}

describe('database creation and migrations', () => {
  const url = databaseUrlFor(`switchyard_migtest_${process.pid}_${Date.now()}`);
  const config = loadConfig({ DATABASE_URL: url, REDIS_URL: TEST_REDIS_URL });
  afterAll(() => dropDatabase(url));

  it('migration files are named <timestamp>-<PascalCaseName>.ts', () => {
    const all = readdirSync(join(__dirname, '..', '..', 'migrations')).filter((f) => f.endsWith('.ts'));
    expect(all).toEqual(migrationFiles);
  });

  it('creates a missing database and applies every migration, once, even with racing processes', async () => {
    const reports = await Promise.all([prepareDatabase(config), prepareDatabase(config), prepareDatabase(config)]);
    expect(reports.filter((r) => r.created)).toHaveLength(1);
    const applied = reports.flatMap((r) => r.applied);
    expect(applied).toHaveLength(migrationFiles.length);
    expect(new Set(applied).size).toBe(applied.length);
    expect(await pendingMigrations(config)).toEqual([]);
    expect(await tables(url)).toContain('migrations');
  });

  it('is a no-op when run again', async () => {
    expect((await runMigrations(config)).applied).toEqual([]);
  });

  it('every migration can be reverted, down to an empty schema, and applied again', async () => {
    const ds = new DataSource(dataSourceOptions(config, { poolMax: 1 }));
    await ds.initialize();
    try {
      for (let i = 0; i < migrationFiles.length; i++) await ds.undoLastMigration({ transaction: 'each' });
    } finally {
      await ds.destroy();
    }
    expect(await tables(url)).toEqual(['migrations']);
    expect((await runMigrations(config)).applied).toHaveLength(migrationFiles.length);
  });
});
