import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import type { ResolvedEndpoint } from '../../src/catalog/catalog.types';
import { RedisService } from '../../src/common/redis/redis.service';
import { EndpointHealthService } from '../../src/routing/endpoint-health.service';
import { isUnstable } from '../../src/routing/plan-route';
import { RoutingModule } from '../../src/routing/routing.module';
import { stickyKey, StickySessionsService } from '../../src/routing/sticky-sessions.service';
import { TcpProxy, viaProxy } from '../support/tcp-proxy';
import { createTestApp, TestApp } from '../support/test-app';
import { TEST_REDIS_URL } from '../support/test-env';

async function eventually<T>(probe: () => T | Promise<T>, ok: (v: T) => boolean, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last = await probe();
  while (!ok(last) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 25));
    last = await probe();
  }
  return last;
}

function endpoint(providerSlug: string): ResolvedEndpoint {
  const modelId = `e2e/${randomUUID()}`;
  return {
    endpoint: {
      modelId,
      providerSlug,
      upstreamModel: 'm',
      variant: null,
      pricing: {
        prompt: 1n,
        completion: 1n,
        request: 0n,
        image: 0n,
        cacheRead: null,
        cacheWrite: null,
        cacheWrite1h: null,
        tiers: [],
        serviceTiers: {},
      },
      imageTokens: null,
      contextLength: 8000,
      maxCompletionTokens: 4000,
      supportedParameters: [],
      quantization: 'unknown',
      prefill: false,
    },
    model: {
      id: modelId,
      name: modelId,
      description: '',
      created: 0,
      contextLength: 8000,
      inputModalities: ['text'],
      outputModalities: ['text'],
      kind: 'chat',
    },
    provider: {
      slug: providerSlug,
      name: providerSlug,
      adapter: 'openai',
      baseUrl: 'http://127.0.0.1:1',
      apiKeyEnv: null,
      dataPolicy: { zdr: false, training: false },
    },
    routable: true,
  };
}

/**
 * Whether `to` hears `from` again: `from` keeps reporting failures of fresh endpoints until one
 * arrives. (Counting the channel's subscribers cannot tell: every test app of a run listens on it.)
 */
async function hears(from: TestApp, to: TestApp, timeoutMs = 10000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const e = endpoint('zeta');
    from.get(EndpointHealthService).recordFailure(e, 'server_error');
    if (
      (
        await eventually(
          () => to.get(EndpointHealthService).health(e),
          (h) => h.recentFailures > 0,
          300,
        )
      ).recentFailures === 1
    )
      return true;
  }
  return false;
}

describe('routing state shared through Redis (two gateway processes)', () => {
  let one: TestApp;
  let two: TestApp;
  let redis: Redis;
  let channel: string;
  let prefix: string;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  const subscribers = async () => ((await redis.pubsub('NUMSUB', channel)) as [string, number])[1];

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    [one, two] = await Promise.all([createTestApp({ imports: [RoutingModule] }), createTestApp({ imports: [RoutingModule] })]);
    prefix = one.get(RedisService).prefix;
    channel = `${prefix}routing:health`;
    redis = new Redis(TEST_REDIS_URL);
    // Both processes must be listening before anything is published.
    expect(await eventually(subscribers, (n) => n >= 2)).toBeGreaterThanOrEqual(2);
  });

  afterAll(async () => {
    await Promise.all([one?.close(), two?.close()]);
    redis?.disconnect();
    process.off('unhandledRejection', onUnhandled);
  });

  it("one process's failure marks the endpoint unstable in the other within a couple of seconds", async () => {
    const e = endpoint('alpha');
    const started = Date.now();
    one.get(EndpointHealthService).recordFailure(e, 'connect');
    const seen = await eventually(
      () => two.get(EndpointHealthService).health(e),
      (h) => h.recentFailures > 0,
      2000,
    );
    expect(seen.recentFailures).toBe(1);
    expect(isUnstable(seen, Date.now())).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
    // Not counted twice where it happened.
    expect(one.get(EndpointHealthService).health(e).recentFailures).toBe(1);
  });

  it("one process's success after an outage closes the endpoint's circuit in the other", async () => {
    const e = endpoint('omega');
    one.get(EndpointHealthService).recordFailure(e, 'server_error');
    const open = await eventually(
      () => two.get(EndpointHealthService).health(e),
      (h) => isUnstable(h, Date.now()),
      2000,
    );
    expect(isUnstable(open, Date.now())).toBe(true);
    one.get(EndpointHealthService).recordSuccess(e, { latencyMs: 50, durationMs: 50 });
    const closed = await eventually(
      () => two.get(EndpointHealthService).health(e),
      (h) => !isUnstable(h, Date.now()),
      2000,
    );
    expect(isUnstable(closed, Date.now())).toBe(false);
  });

  it('latency and throughput reach the other process within a couple of seconds', async () => {
    const e = endpoint('beta');
    one.get(EndpointHealthService).recordSuccess(e, { latencyMs: 40, ttftMs: 120, outputTokens: 200, durationMs: 2120 });
    const seen = await eventually(
      () => two.get(EndpointHealthService).health(e),
      (h) => h.latencyMs !== null,
      3000,
    );
    expect(seen).toMatchObject({ latencyMs: 120, throughputTps: 100, recentFailures: 0 });
  });

  describe('sticky sessions', () => {
    it('remembers per user, model and conversation, across processes', async () => {
      const user = randomUUID();
      await one.get(StickySessionsService).remember(user, 'acme/chat', 'conv-1', 'gamma');
      const sticky = two.get(StickySessionsService);
      await expect(sticky.get(user, 'acme/chat', 'conv-1')).resolves.toEqual({ modelId: 'acme/chat', providerSlug: 'gamma' });
      await expect(sticky.get(user, 'acme/chat', 'conv-2')).resolves.toBeNull();
      await expect(sticky.get(user, 'acme/other', 'conv-1')).resolves.toBeNull();
      await expect(sticky.get(randomUUID(), 'acme/chat', 'conv-1')).resolves.toBeNull();
    });

    it('expires after 10 minutes, and each success restarts the window', async () => {
      const user = randomUUID();
      const key = `${prefix}${stickyKey(user, 'acme/chat', 'conv')}`;
      const sticky = one.get(StickySessionsService);
      await sticky.remember(user, 'acme/chat', 'conv', 'alpha');
      expect(await redis.ttl(key)).toBeGreaterThan(595);
      expect(await redis.ttl(key)).toBeLessThanOrEqual(600);
      await redis.expire(key, 30); // as if 9.5 minutes had passed
      await sticky.remember(user, 'acme/chat', 'conv', 'beta');
      expect(await redis.ttl(key)).toBeGreaterThan(595);
      await expect(sticky.get(user, 'acme/chat', 'conv')).resolves.toEqual({ modelId: 'acme/chat', providerSlug: 'beta' });
      await redis.pexpire(key, 50); // the window runs out
      await new Promise((r) => setTimeout(r, 100));
      await expect(sticky.get(user, 'acme/chat', 'conv')).resolves.toBeNull();
    });
  });

  describe('with Redis going away and coming back', () => {
    let proxy: TcpProxy;
    let three: TestApp;

    beforeAll(async () => {
      const u = new URL(TEST_REDIS_URL);
      proxy = await new TcpProxy(u.hostname, Number(u.port || 6379)).start();
      // Queue processors stay off: this app is about routing state, and Bull's own reconnects are not under test here.
      three = await createTestApp({
        imports: [RoutingModule],
        env: { REDIS_URL: viaProxy(TEST_REDIS_URL, proxy), WORKERS_ENABLED: 'false' },
      });
      expect(
        await eventually(
          () => three.get(RedisService).client.status,
          (s) => s === 'ready',
        ),
      ).toBe('ready');
      expect(await hears(one, three)).toBe(true);
    });

    afterAll(async () => {
      proxy?.up();
      await three?.close();
      await proxy?.stop();
    });

    it('routes on local data and forgets stickiness, without throwing; then shares again', async () => {
      const health = three.get(EndpointHealthService);
      const sticky = three.get(StickySessionsService);
      const user = randomUUID();
      await sticky.remember(user, 'acme/chat', 'conv', 'alpha');
      expect(await redis.get(`${prefix}${stickyKey(user, 'acme/chat', 'conv')}`)).toBe('alpha');

      proxy.down();
      expect(
        await eventually(
          () => three.get(RedisService).client.status,
          (s) => s !== 'ready',
        ),
      ).not.toBe('ready');
      const local = endpoint('delta');
      health.recordFailure(local, 'timeout');
      health.recordSuccess(local, { latencyMs: 90, durationMs: 90 });
      expect(health.health(local)).toMatchObject({ recentFailures: 1, latencyMs: 90 });
      const started = Date.now();
      await expect(sticky.get(user, 'acme/chat', 'conv')).resolves.toBeNull();
      await expect(sticky.remember(user, 'acme/chat', 'conv', 'beta')).resolves.toBeUndefined();
      expect(Date.now() - started).toBeLessThan(1000);
      // While cut off it hears nothing from the others.
      const missed = endpoint('epsilon');
      one.get(EndpointHealthService).recordFailure(missed, 'server_error');
      await new Promise((r) => setTimeout(r, 300));
      expect(health.health(missed).recentFailures).toBe(0);

      proxy.up();
      expect(await hears(one, three)).toBe(true);
      // The command connection reconnects on its own schedule (up to 2 s between attempts), apart from
      // the subscriber's. The client's state is in the comparison so that a failure says whether it
      // was still reconnecting.
      const back = await eventually(
        () => sticky.get(user, 'acme/chat', 'conv'),
        (v) => v !== null,
        10000,
      );
      expect({ back, redis: three.get(RedisService).client.status }).toEqual({
        back: { modelId: 'acme/chat', providerSlug: 'alpha' },
        redis: 'ready',
      });
      expect(unhandled).toEqual([]);
    });
  });
});
