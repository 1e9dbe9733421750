import { join } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { AppConfig } from '../config/app-config';

/** Repository root, from either src/common/database (ts) or dist/src/common/database (js). */
const ROOT = join(__dirname, '..', '..', '..');
const COMPILED = __filename.endsWith('.js');

export const MIGRATIONS_GLOB = join(ROOT, 'migrations', COMPILED ? '*.js' : '*.ts');
export const ENTITIES_GLOB = join(ROOT, 'src', '**', COMPILED ? '*.entity.js' : '*.entity.ts');

/** The one description of how Switchyard talks to Postgres, shared by the app, the migrator and the CLI. */
export function dataSourceOptions(config: AppConfig, overrides: { url?: string; poolMax?: number } = {}): DataSourceOptions {
  return {
    type: 'postgres',
    url: overrides.url ?? config.database.url,
    synchronize: false,
    migrationsRun: false,
    migrationsTableName: 'migrations',
    migrations: [MIGRATIONS_GLOB],
    applicationName: 'switchyard',
    // gen_random_uuid() is built into Postgres 13+: no extension to install.
    uuidExtension: 'pgcrypto',
    extra: {
      max: overrides.poolMax ?? config.database.poolMax,
      // Bounds both the wait for a free pooled connection and opening a new one: past it the
      // request gets a 503 with Retry-After (common/errors) instead of queueing without end.
      connectionTimeoutMillis: config.database.poolWaitMs,
      // Bound every statement so a stuck query cannot hold a pool slot (and money locks) forever:
      // the server cancels it first; the client-side timeout covers a frozen or vanished server,
      // which cannot cancel anything.
      statement_timeout: Math.max(100, config.database.queryTimeoutMs - 1000),
      query_timeout: config.database.queryTimeoutMs,
      // A peer that vanished (host down, connection dropped by a firewall) is noticed on idle
      // connections too, and such connections leave the pool instead of being handed out.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      // Idle connections are closed after a while, so a restart leaves few dead ones behind.
      idleTimeoutMillis: 30_000,
    },
  };
}
