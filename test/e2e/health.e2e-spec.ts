import { TcpProxy, viaProxy } from '../support/tcp-proxy';
import { createTestApp, TestApp } from '../support/test-app';
import { TEST_REDIS_URL, testDatabaseUrl } from '../support/test-env';

interface Health {
  status: string;
  checks: Record<string, { status: string; error?: string }>;
}

/** The checks are shown to the holder of METRICS_TOKEN only. */
const TOKEN = 'health-details-token-0123456789';

async function health(t: TestApp): Promise<{ status: number; body: Health }> {
  const res = await fetch(`${t.url}/health`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return { status: res.status, body: (await res.json()) as Health };
}

async function eventually<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last = await probe();
  while (!ok(last) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 200));
    last = await probe();
  }
  return last;
}

describe('GET /health with Postgres and Redis going away and coming back', () => {
  let pg: TcpProxy;
  let redis: TcpProxy;
  let t: TestApp;

  beforeAll(async () => {
    const pgUrl = new URL(testDatabaseUrl());
    const redisUrl = new URL(TEST_REDIS_URL);
    pg = await new TcpProxy(pgUrl.hostname, Number(pgUrl.port || 5432)).start();
    redis = await new TcpProxy(redisUrl.hostname, Number(redisUrl.port || 6379)).start();
    t = await createTestApp({
      // No queue processors here: with its Postgres cut, this app would take other suites' jobs and fail them.
      env: {
        DATABASE_URL: viaProxy(testDatabaseUrl(), pg),
        REDIS_URL: viaProxy(TEST_REDIS_URL, redis),
        WORKERS_ENABLED: 'false',
        METRICS_TOKEN: TOKEN,
      },
    });
  });
  afterAll(async () => {
    pg.up();
    redis.up();
    await t.close();
    await pg.stop();
    await redis.stop();
  });

  it('is 200 with every dependency up', async () => {
    const h = await health(t);
    expect(h.status).toBe(200);
    expect(h.body.status).toBe('ok');
    expect(Object.values(h.body.checks).map((c) => c.status)).toEqual(['up', 'up', 'up']);
  });

  it('is 503 naming Redis while Redis is down, and recovers when it is back', async () => {
    redis.down();
    const down = await eventually(
      () => health(t),
      (h) => h.status === 503,
    );
    expect(down.status).toBe(503);
    expect(down.body.checks.redis.status).toBe('down');
    expect(down.body.checks.redis.error).toBeTruthy();
    expect(down.body.checks.postgres.status).toBe('up');

    redis.up();
    const back = await eventually(
      () => health(t),
      (h) => h.status === 200,
    );
    expect(back.status).toBe(200);
  });

  it('is 503 naming Postgres while Postgres is down, and recovers when it is back', async () => {
    pg.down();
    const down = await eventually(
      () => health(t),
      (h) => h.status === 503,
    );
    expect(down.status).toBe(503);
    expect(down.body.checks.postgres.status).toBe('down');
    expect(down.body.checks.redis.status).toBe('up');

    pg.up();
    const back = await eventually(
      () => health(t),
      (h) => h.status === 200,
    );
    expect(back.status).toBe(200);
  });
});
