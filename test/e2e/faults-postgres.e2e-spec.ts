import { Client } from 'pg';
import { usdToNanos } from '../../src/common/money/money';
import { CreditsService } from '../../src/credits/credits.service';
import { createKey, signUp } from '../support/factories';
import { PrivatePostgres, PrivateRedis } from '../support/fault-services';
import { GatewayFixture, startGatewayFixture } from '../support/gateway-fixture';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Reply {
  status: number | 'no answer';
  ms: number;
  retryAfter: string | null;
}

async function chat(url: string, key: string, timeoutMs: number, model = 'test/a-only'): Promise<Reply> {
  const started = Date.now();
  try {
    const res = await fetch(`${url}/api/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 20 }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer();
    return { status: res.status, ms: Date.now() - started, retryAfter: res.headers.get('retry-after') };
  } catch {
    return { status: 'no answer', ms: Date.now() - started, retryAfter: null };
  }
}

/** Polls until a request succeeds; how long that took. */
async function firstSuccess(f: GatewayFixture, limitMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < limitMs) {
    if ((await chat(f.t.url, f.key, 3000)).status === 200) return Date.now() - started;
    await sleep(50);
  }
  return Infinity;
}

/** Postgres restarted, frozen (SIGSTOP) and saturated under traffic, on a private cluster. */
describe('Postgres restarted, frozen or saturated under traffic', () => {
  let pg: PrivatePostgres;
  let redis: PrivateRedis;
  let f: GatewayFixture;
  let url: string;

  beforeAll(async () => {
    pg = await new PrivatePostgres().start();
    redis = await new PrivateRedis().start();
    url = await pg.migratedDatabase();
    f = await startGatewayFixture({
      env: {
        DATABASE_URL: url,
        REDIS_URL: redis.url,
        DATABASE_POOL_MAX: '4',
        DATABASE_POOL_WAIT_MS: '1000',
        DATABASE_QUERY_TIMEOUT_MS: '2000',
      },
    });
  }, 120_000);
  afterAll(async () => {
    pg?.thaw();
    await f?.close();
    await redis?.stop();
    await pg?.stop();
  });

  it('while Postgres restarts, requests get 503 with Retry-After, never a 500 or a hang; the first success comes right after it is back', async () => {
    expect((await chat(f.t.url, f.key, 3000)).status).toBe(200);
    pg.down('immediate');
    const during = await Promise.all(Array.from({ length: 10 }, () => chat(f.t.url, f.key, 8000)));
    expect(during.map((r) => r.status)).toEqual(Array(10).fill(503));
    expect(during.every((r) => Number(r.retryAfter) > 0)).toBe(true);
    expect(Math.max(...during.map((r) => r.ms))).toBeLessThan(4000);
    const health = await fetch(`${f.t.url}/health`);
    expect(health.status).toBe(503);
    pg.up();
    expect(await firstSuccess(f, 10000)).toBeLessThan(1500);
    expect((await fetch(`${f.t.url}/health`)).status).toBe(200);
  });

  it('while Postgres is frozen, requests get 503 within the query timeout, none hangs; service resumes at once when it thaws', async () => {
    expect((await chat(f.t.url, f.key, 3000)).status).toBe(200);
    pg.freeze();
    try {
      const during = await Promise.all(Array.from({ length: 10 }, () => chat(f.t.url, f.key, 10000)));
      expect(during.map((r) => r.status)).toEqual(Array(10).fill(503));
      expect(Math.max(...during.map((r) => r.ms))).toBeLessThan(6000);
    } finally {
      pg.thaw();
    }
    expect(await firstSuccess(f, 10000)).toBeLessThan(1500);
    const after = await Promise.all(Array.from({ length: 10 }, () => chat(f.t.url, f.key, 5000)));
    expect(after.map((r) => r.status)).toEqual(Array(10).fill(200));
  });

  it('a request that already has its provider answer delivers it when Postgres freezes before its settlement', async () => {
    const pending = chat(f.t.url, f.key, 10000, 'test/pricey-slow');
    await sleep(250);
    pg.freeze();
    try {
      const r = await pending;
      expect(r.status).toBe(200);
      expect(r.ms).toBeLessThan(3000);
    } finally {
      pg.thaw();
    }
  });

  it('a burst on a small pool gets cheap refusals or 503/429 with Retry-After, never a 500', async () => {
    const user = await signUp(f.t, 'burst');
    await f.t.get(CreditsService).grant(user.id, usdToNanos(0.2), 'burst');
    const { key } = await createKey(f.t, { cookie: user.cookie }, { name: 'burst' });
    const replies = await Promise.all(Array.from({ length: 150 }, () => chat(f.t.url, key, 20000, 'test/pricey-slow')));
    const statuses = new Set(replies.map((r) => r.status));
    for (const s of statuses) expect([200, 402, 403, 429, 503]).toContain(s);
    for (const r of replies) if (r.status === 503 || r.status === 429) expect(Number(r.retryAfter)).toBeGreaterThan(0);
    expect(replies.some((r) => r.status === 200)).toBe(true);
  });

  it('while every pooled connection is stuck behind a lock, a burst is answered 503 with Retry-After within the bounded waits, never 500', async () => {
    const locker = new Client({ connectionString: url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE credit_holds IN ACCESS EXCLUSIVE MODE');
    try {
      const replies = await Promise.all(Array.from({ length: 30 }, () => chat(f.t.url, f.key, 10000)));
      expect([...new Set(replies.map((r) => r.status))]).toEqual([503]);
      expect(replies.every((r) => Number(r.retryAfter) > 0)).toBe(true);
      expect(Math.max(...replies.map((r) => r.ms))).toBeLessThan(4000);
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    expect(await firstSuccess(f, 5000)).toBeLessThan(1500);
  });
});
