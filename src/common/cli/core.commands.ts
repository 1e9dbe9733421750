import Redis from 'ioredis';
import { Client } from 'pg';
import { ensureDatabase, pendingMigrations, runMigrations } from '../database/migrator';
import { renderEnvTable } from '../config/env-table';
import { CliCommand } from './cli-command';

export const migrateCommand: CliCommand = {
  name: 'migrate',
  summary: 'Create the database if missing and apply pending migrations',
  async run({ config, out }) {
    if (await ensureDatabase(config.database.url)) out('database created');
    const { applied } = await runMigrations(config);
    out(applied.length ? `applied: ${applied.join(', ')}` : 'no pending migrations');
    return 0;
  },
};

export const checkCommand: CliCommand = {
  name: 'check',
  summary: 'Print the configuration (secrets masked) and check Postgres and Redis',
  async run({ config, out }) {
    out(JSON.stringify(config.redacted(), null, 2));
    let ok = true;
    const pg = new Client({ connectionString: config.database.url, connectionTimeoutMillis: 3000 });
    try {
      await pg.connect();
      const { rows } = await pg.query<{ v: string }>('SELECT current_setting($1) AS v', ['server_version']);
      out(`postgres: up (server ${rows[0].v})`);
      const pending = await pendingMigrations(config);
      out(pending.length ? `migrations: ${pending.length} pending (${pending.join(', ')})` : 'migrations: up to date');
    } catch (err) {
      ok = false;
      out(`postgres: DOWN (${(err as Error).message})`);
    } finally {
      await pg.end().catch(() => undefined);
    }
    const redis = new Redis(config.redis.url, {
      lazyConnect: true,
      connectTimeout: 3000,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      out(`redis: up (${await redis.ping()})`);
    } catch (err) {
      ok = false;
      out(`redis: DOWN (${(err as Error).message})`);
    } finally {
      redis.disconnect();
    }
    return ok ? 0 : 1;
  },
};

export const envTableCommand: CliCommand = {
  name: 'env:table',
  summary: 'Print the configuration table for the README',
  async run({ out }) {
    out(renderEnvTable());
    return 0;
  },
};
