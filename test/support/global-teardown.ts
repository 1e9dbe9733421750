import Redis from 'ioredis';
import { dropDatabase } from '../../src/common/database/migrator';
import { TEST_REDIS_URL } from './test-env';

/** Drops the run's database and Redis keys, unless KEEP_TEST_DB is set for debugging. */
export default async function globalTeardown(): Promise<void> {
  if (process.env.KEEP_TEST_DB) return;
  const url = process.env.SY_TEST_DATABASE_URL;
  if (url) await dropDatabase(url);
  const prefix = process.env.SY_TEST_REDIS_PREFIX;
  if (!prefix) return;
  const redis = new Redis(TEST_REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
