import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/common/config/app-config';
import { ensureDatabase, runMigrations } from '../../src/common/database/migrator';
import { databaseUrlFor, TEST_REDIS_URL } from './test-env';

/** One fresh database per test run, created and migrated once; a Redis key prefix per run. */
export default async function globalSetup(): Promise<void> {
  const run = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const url = databaseUrlFor(`switchyard_test_${run}`);
  await ensureDatabase(url);
  await runMigrations(loadConfig({ DATABASE_URL: url, REDIS_URL: TEST_REDIS_URL }));
  process.env.SY_TEST_DATABASE_URL = url;
  process.env.SY_TEST_REDIS_PREFIX = `sy-test-${run}`;
}
