import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';

/** Arbitrary but fixed: every Switchyard process takes this advisory lock to migrate. */
const MIGRATION_LOCK_ID = 7_301_990_412;

function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
}

function maintenanceUrl(url: string): string {
  const u = new URL(url);
  u.pathname = '/postgres';
  return u.toString();
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Creates the database named in the URL if it does not exist. Returns whether it created it. */
export async function ensureDatabase(url: string): Promise<boolean> {
  const name = databaseName(url);
  const client = new Client({ connectionString: maintenanceUrl(url), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return false;
    try {
      await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
      return true;
    } catch (err) {
      // Another process created it between our check and our CREATE (42P04, or 23505 when the
      // two CREATEs race inside the catalog).
      const code = (err as { code?: string }).code;
      if (code === '42P04' || code === '23505') return false;
      throw err;
    }
  } finally {
    await client.end();
  }
}

export async function dropDatabase(url: string): Promise<void> {
  const client = new Client({ connectionString: maintenanceUrl(url) });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(databaseName(url))} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

export interface MigrationReport {
  applied: string[];
}

/**
 * Applies pending migrations, one transaction each, under a Postgres advisory lock so that several
 * processes starting together migrate once.
 */
export async function runMigrations(config: AppConfig, url = config.database.url): Promise<MigrationReport> {
  const lock = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await lock.connect();
  const ds = new DataSource(dataSourceOptions(config, { url, poolMax: 2 }));
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    await ds.initialize();
    const applied = await ds.runMigrations({ transaction: 'each' });
    return { applied: applied.map((m) => m.name) };
  } finally {
    if (ds.isInitialized) await ds.destroy();
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
    await lock.end();
  }
}

/** Names of migrations that exist in the code but are not applied yet. */
export async function pendingMigrations(config: AppConfig): Promise<string[]> {
  const ds = new DataSource(dataSourceOptions(config, { poolMax: 1 }));
  await ds.initialize();
  try {
    const [{ t }] = (await ds.query(`SELECT to_regclass('public.migrations') AS t`)) as { t: string | null }[];
    const rows = t ? ((await ds.query('SELECT name FROM migrations')) as { name: string }[]) : [];
    const applied = new Set(rows.map((r) => r.name));
    return ds.migrations.map((m) => m.name ?? m.constructor.name).filter((n) => !applied.has(n));
  } finally {
    await ds.destroy();
  }
}

/** What `npm start` does before serving: create the database if allowed, then migrate if allowed. */
export async function prepareDatabase(config: AppConfig): Promise<{ created: boolean; applied: string[] }> {
  const created = config.database.autoCreate ? await ensureDatabase(config.database.url) : false;
  const applied = config.database.migrationsRun ? (await runMigrations(config)).applied : [];
  return { created, applied };
}
