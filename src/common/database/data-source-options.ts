import { join } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { AppConfig } from '../config/app-config';

/** Repository root, from either src/common/database (ts) or dist/src/common/database (js). */
const ROOT = join(__dirname, '..', '..', '..');
const COMPILED = __filename.endsWith('.js');

export const MIGRATIONS_GLOB = join(ROOT, 'migrations', COMPILED ? '*.js' : '*.ts');
export const ENTITIES_GLOB = join(ROOT, 'src', '**', COMPILED ? '*.entity.js' : '*.entity.ts');

/** The one description of how Switchyard talks to Postgres, shared by the app, the migrator and the CLI. */
export function dataSourceOptions(
  config: AppConfig,
  overrides: { url?: string; poolMax?: number } = {},
): DataSourceOptions {
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
      connectionTimeoutMillis: 3000,
      // Bound every statement so a stuck query cannot hold a pool slot (and money locks) forever.
      statement_timeout: 30000,
    },
  };
}
