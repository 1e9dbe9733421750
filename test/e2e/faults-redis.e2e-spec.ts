import { LedgerService } from '../../src/credits/ledger.service';
import { call } from '../support/factories';
import { PrivateRedis } from '../support/fault-services';
import { GatewayFixture, startGatewayFixture } from '../support/gateway-fixture';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A chat request with its own deadline; the status, or 'gave up' when the client stopped waiting. */
async function chat(
  f: GatewayFixture,
  timeoutMs: number,
  extra: Record<string, unknown> = {},
): Promise<{ status: number | 'gave up'; ms: number; id: string | null }> {
  const started = Date.now();
  try {
    const res = await fetch(`${f.t.url}/api/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${f.key}` },
      body: JSON.stringify({ model: 'test/a-only', messages: [{ role: 'user', content: 'hi' }], max_tokens: 20, ...extra }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer();
    return { status: res.status, ms: Date.now() - started, id: res.headers.get('x-generation-id') };
  } catch {
    return { status: 'gave up', ms: Date.now() - started, id: null };
  }
}

/** Redis frozen (SIGSTOP), killed and restarted empty under traffic, on a private redis-server. */
describe('Redis frozen or gone under traffic', () => {
  let redis: PrivateRedis;
  let f: GatewayFixture;

  beforeAll(async () => {
    redis = await new PrivateRedis().start();
    f = await startGatewayFixture({ env: { REDIS_URL: redis.url, RATE_LIMIT_KEY_RPM: '600' } });
  });
  afterAll(async () => {
    redis.thaw();
    await f?.close();
    await redis?.stop();
  });
  afterEach(async () => {
    redis.thaw();
    await sleep(200);
  });

  it('keeps serving key-authenticated requests within normal latency while Redis is frozen; sign-in is refused with 503 and Retry-After', async () => {
    redis.freeze();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => chat(f, 5000, i % 2 ? { session_id: `s-${i}` } : { stream: false })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(Math.max(...results.map((r) => r.ms))).toBeLessThan(3000);

    const started = Date.now();
    const signIn = await call(f.t, 'POST', '/api/v1/sessions', { body: { email: f.user.email, password: f.user.password } });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(signIn.status).toBe(503);
    expect(Number(signIn.headers.get('retry-after'))).toBeGreaterThan(0);

    const health = await fetch(`${f.t.url}/health`, { signal: AbortSignal.timeout(4000) });
    expect(health.status).toBe(503);

    redis.thaw();
    const until = Date.now() + 3000;
    let status = 0;
    while (Date.now() < until && status !== 200) {
      status = (await fetch(`${f.t.url}/health`)).status;
      if (status !== 200) await sleep(100);
    }
    expect(status).toBe(200);
  });

  it('a client that gave up while Redis was frozen is neither served nor billed once Redis is back', async () => {
    const before = await f.t.get(LedgerService).balances(f.user.id);
    const seenBefore = f.fakes.a.seen.length;
    redis.freeze();
    const results = await Promise.all(Array.from({ length: 5 }, () => chat(f, 150)));
    expect(results.map((r) => r.status)).toEqual(Array(5).fill('gave up'));
    await sleep(1500);
    redis.thaw();
    await sleep(2500);
    expect(f.fakes.a.seen.length).toBe(seenBefore);
    const after = await f.t.get(LedgerService).balances(f.user.id);
    expect(after.available).toBe(before.available);
    expect(after.held).toBe(0n);
  });

  it('generation records survive Redis being killed and restarted empty under traffic', async () => {
    const ids: string[] = [];
    const send = async (n: number) => {
      const rs = await Promise.all(Array.from({ length: n }, () => chat(f, 8000)));
      expect(rs.map((r) => r.status)).toEqual(Array(n).fill(200));
      ids.push(...rs.map((r) => r.id!));
    };
    const traffic = send(10);
    await redis.down();
    await traffic;
    await send(10);
    await redis.up();
    // /health answers 200 as soon as the restarted Redis does (not after reconnect back-offs).
    const back = Date.now();
    while ((await fetch(`${f.t.url}/health`)).status !== 200 && Date.now() - back < 10000) await sleep(100);
    expect(Date.now() - back).toBeLessThan(3000);
    await send(10);
    const until = Date.now() + 15000;
    let missing = ids;
    while (missing.length && Date.now() < until) {
      const found = await Promise.all(missing.map((id) => call(f.t, 'GET', `/api/v1/generation?id=${id}`, { key: f.key })));
      missing = missing.filter((_, i) => found[i].status !== 200);
      if (missing.length) await sleep(300);
    }
    expect(missing).toEqual([]);
  });

  it('/health turns 200 as soon as Redis answers again after a longer outage', async () => {
    await redis.down();
    const down = Date.now();
    while (Date.now() - down < 8000) {
      expect((await chat(f, 5000)).status).toBe(200);
      await sleep(500);
    }
    expect((await fetch(`${f.t.url}/health`)).status).toBe(503);
    await redis.up();
    const back = Date.now();
    while ((await fetch(`${f.t.url}/health`)).status !== 200 && Date.now() - back < 20000) await sleep(100);
    expect(Date.now() - back).toBeLessThan(1500);
  });
});
