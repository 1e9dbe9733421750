/**
 * Where the e2e suites find Postgres and Redis. Global setup creates one migrated database per run
 * and a Redis key prefix per run; both are handed to the test workers through the environment.
 */
export const TEST_ADMIN_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function databaseUrlFor(name: string): string {
  const u = new URL(TEST_ADMIN_DATABASE_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

/** The run's migrated database (set by global setup). */
export function testDatabaseUrl(): string {
  const url = process.env.SY_TEST_DATABASE_URL;
  if (!url) throw new Error('SY_TEST_DATABASE_URL is not set: run the e2e suites through jest (global setup)');
  return url;
}

export function testRedisPrefix(): string {
  return process.env.SY_TEST_REDIS_PREFIX ?? 'sy-test';
}

/** The environment an e2e app boots with: quiet, on a random port, on the run's database. */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: testDatabaseUrl(),
    DATABASE_AUTO_CREATE: 'false',
    MIGRATIONS_RUN: 'false',
    DATABASE_POOL_MAX: '10',
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: testRedisPrefix(),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SHUTDOWN_GRACE_MS: '5000',
    // Suites approve consent pages as fast as they can; the delay has a test of its own.
    OAUTH_CONSENT_DELAY_MS: '0',
    // Every suite signs its users up from 127.0.0.1; the sign-up limit has a test of its own.
    SIGN_UPS_PER_ADDRESS_PER_HOUR: '0',
    ...overrides,
  };
}
