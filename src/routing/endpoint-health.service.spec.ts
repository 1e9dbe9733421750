import { EventEmitter } from 'node:events';
import pino from 'pino';
import type { ResolvedEndpoint } from '../catalog/catalog.types';
import { ManualClock } from '../common/clock/clock';
import type { AppConfig } from '../common/config/app-config';
import { AppLogger } from '../common/logging/app-logger';
import type { RedisService } from '../common/redis/redis.service';
import { EndpointHealthService, PUBLISH_INTERVAL_MS, STATS_WINDOW_MS } from './endpoint-health.service';
import { isUnstable, OUTAGE_WINDOW_MS } from './plan-route';

/** An in-memory stand-in for Redis pub/sub: what one client publishes, every subscriber gets. */
class FakeBus {
  readonly subs = new Set<FakeSubscriber>();
  published: { channel: string; message: Record<string, unknown> }[] = [];
  failing = false;

  publish(channel: string, text: string): Promise<number> {
    if (this.failing) return Promise.reject(new Error("Stream isn't writeable and enableOfflineQueue options is false"));
    this.published.push({ channel, message: JSON.parse(text) as Record<string, unknown> });
    for (const s of this.subs) if (s.channels.has(channel)) queueMicrotask(() => s.emit('message', channel, text));
    return Promise.resolve(this.subs.size);
  }
}

class FakeSubscriber extends EventEmitter {
  readonly channels = new Set<string>();
  subscribeCalls = 0;
  disconnected = false;
  constructor(private readonly bus: FakeBus) {
    super();
    bus.subs.add(this);
  }
  subscribe(channel: string): Promise<number> {
    this.subscribeCalls++;
    if (this.bus.failing) return Promise.reject(new Error('Connection is closed.'));
    this.channels.add(channel);
    return Promise.resolve(1);
  }
  disconnect(): void {
    this.disconnected = true;
    this.bus.subs.delete(this);
  }
}

function makeService(bus: FakeBus, clock: ManualClock, warn = jest.fn()) {
  let sub: FakeSubscriber | undefined;
  const redis = {
    prefix: 'sy-unit:',
    client: {
      publish: (channel: string, text: string) => bus.publish(channel, text),
      duplicate: () => (sub = new FakeSubscriber(bus)),
    },
  } as unknown as RedisService;
  const logger = new AppLogger(pino({ level: 'silent' }));
  jest.spyOn(logger, 'child').mockReturnValue(Object.assign(Object.create(logger) as AppLogger, { warn, info: jest.fn() }));
  const service = new EndpointHealthService(redis, clock, logger, {
    outage: { windowMs: OUTAGE_WINDOW_MS, maxWindowMs: 4 * OUTAGE_WINDOW_MS },
  } as AppConfig);
  service.onModuleInit();
  sub!.emit('ready');
  return { service, sub: sub!, warn };
}

function endpoint(providerSlug: string, modelId = 'acme/chat'): ResolvedEndpoint {
  return {
    endpoint: { modelId, providerSlug, variant: null } as ResolvedEndpoint['endpoint'],
    model: { id: modelId } as ResolvedEndpoint['model'],
    provider: { slug: providerSlug } as ResolvedEndpoint['provider'],
    routable: true,
  };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('EndpointHealthService', () => {
  let bus: FakeBus;
  let clock: ManualClock;
  let services: EndpointHealthService[];
  const A = endpoint('alpha');
  const B = endpoint('beta');

  beforeEach(() => {
    bus = new FakeBus();
    clock = new ManualClock(Date.UTC(2026, 5, 1));
    services = [];
  });
  afterEach(() => services.forEach((s) => s.onApplicationShutdown()));

  function start(warn?: jest.Mock) {
    const made = makeService(bus, clock, warn);
    services.push(made.service);
    return made;
  }

  it('knows nothing about an endpoint it has not seen', () => {
    const { service } = start();
    expect(service.health(A)).toEqual({ recentFailures: 0, lastFailureAt: null, latencyMs: null, throughputTps: null, openUntil: null });
  });

  describe('circuit breaker', () => {
    const unstable = (service: EndpointHealthService) => isUnstable(service.health(A), clock.nowMs());

    it('opens on a failure, lets one request probe after the window, and closes on a success', () => {
      const { service } = start();
      service.recordFailure(A, 'server_error');
      expect(unstable(service)).toBe(true);
      clock.advance(OUTAGE_WINDOW_MS);
      expect(unstable(service)).toBe(false); // this plan probes it
      expect(unstable(service)).toBe(true); // the others keep it last meanwhile
      service.recordSuccess(A, { latencyMs: 10, durationMs: 10 });
      expect(unstable(service)).toBe(false);
      expect(unstable(service)).toBe(false);
    });

    it('doubles the window after each failed probe, up to its maximum, and resets it after a success', () => {
      const { service } = start();
      service.recordFailure(A, 'connect');
      const windows: number[] = [];
      for (let i = 0; i < 4; i++) {
        const openedAt = clock.nowMs();
        while (unstable(service)) clock.advance(1000);
        windows.push(clock.nowMs() - openedAt);
        service.recordFailure(A, 'connect'); // the probe failed
      }
      expect(windows).toEqual([OUTAGE_WINDOW_MS, 2 * OUTAGE_WINDOW_MS, 4 * OUTAGE_WINDOW_MS, 4 * OUTAGE_WINDOW_MS]);
      while (unstable(service)) clock.advance(1000);
      service.recordSuccess(A, { latencyMs: 10, durationMs: 10 });
      service.recordFailure(A, 'connect');
      const openedAt = clock.nowMs();
      while (unstable(service)) clock.advance(1000);
      expect(clock.nowMs() - openedAt).toBe(OUTAGE_WINDOW_MS);
    });

    it('closes in other processes when one sees the endpoint recover', async () => {
      const one = start().service;
      const two = start().service;
      one.recordFailure(A, 'server_error');
      await flush();
      expect(isUnstable(two.health(A), clock.nowMs())).toBe(true);
      clock.advance(1000);
      one.recordSuccess(A, { latencyMs: 10, durationMs: 10 });
      await flush();
      expect(isUnstable(two.health(A), clock.nowMs())).toBe(false);
    });
  });

  it('counts failures within the 30 s outage window, keyed per endpoint', () => {
    const { service } = start();
    service.recordFailure(A, 'connect');
    clock.advance(10_000);
    service.recordFailure(A, 'timeout');
    expect(service.health(A)).toMatchObject({ recentFailures: 2, lastFailureAt: clock.nowMs() });
    expect(service.health(B).recentFailures).toBe(0);
    expect(isUnstable(service.health(A), clock.nowMs())).toBe(true);
    clock.advance(OUTAGE_WINDOW_MS - 10_000);
    expect(service.health(A).recentFailures).toBe(1);
    clock.advance(10_000);
    const h = service.health(A); // (each look after the window is a probe: one look)
    expect(h.recentFailures).toBe(0);
    expect(isUnstable(h, clock.nowMs())).toBe(false);
  });

  it('averages latency (time to first token when streaming) with an EWMA', () => {
    const { service } = start();
    service.recordSuccess(A, { latencyMs: 100, durationMs: 100 });
    expect(service.health(A).latencyMs).toBe(100);
    service.recordSuccess(A, { latencyMs: 50, ttftMs: 200, durationMs: 900 });
    expect(service.health(A).latencyMs).toBeCloseTo(120);
  });

  it('measures throughput after the first token when streaming, over the whole call otherwise', () => {
    const { service } = start();
    service.recordSuccess(A, { latencyMs: 80, ttftMs: 100, outputTokens: 100, durationMs: 2100 });
    expect(service.health(A).throughputTps).toBe(50);
    service.recordSuccess(B, { latencyMs: 1000, outputTokens: 100, durationMs: 1000 });
    expect(service.health(B).throughputTps).toBe(100);
    service.recordSuccess(B, { latencyMs: 10, outputTokens: 0, durationMs: 10 });
    expect(service.health(B).throughputTps).toBe(100);
  });

  it('forgets statistics after 5 minutes without samples', () => {
    const { service } = start();
    service.recordSuccess(A, { latencyMs: 100, outputTokens: 10, durationMs: 1000 });
    clock.advance(STATS_WINDOW_MS);
    expect(service.health(A)).toMatchObject({ latencyMs: null, throughputTps: null });
    service.recordSuccess(A, { latencyMs: 300, durationMs: 300 });
    expect(service.health(A).latencyMs).toBe(300);
  });

  it('shares a failure with other processes at once, and ignores its own echo', async () => {
    const one = start().service;
    const two = start().service;
    one.recordFailure(A, 'server_error');
    await flush();
    expect(two.health(A)).toMatchObject({ recentFailures: 1, lastFailureAt: clock.nowMs() });
    expect(one.health(A).recentFailures).toBe(1);
    expect(bus.published[0]).toEqual({
      channel: 'sy-unit:routing:health',
      message: expect.objectContaining({ type: 'failure', key: 'alpha|acme/chat|', count: 1, kind: 'server_error' }),
    });
  });

  it('batches a burst of failures into the next tick', async () => {
    const one = start().service;
    const two = start().service;
    for (let i = 0; i < 5; i++) one.recordFailure(A, 'rate_limited');
    await flush();
    expect(bus.published).toHaveLength(1);
    expect(two.health(A).recentFailures).toBe(1);
    clock.advance(PUBLISH_INTERVAL_MS);
    one.tick();
    await flush();
    expect(bus.published).toHaveLength(2);
    expect(two.health(A).recentFailures).toBe(5);
  });

  it('shares latency and throughput each tick and merges them with its own', async () => {
    const one = start().service;
    const two = start().service;
    one.recordSuccess(A, { latencyMs: 100, outputTokens: 100, durationMs: 1000 });
    two.recordSuccess(A, { latencyMs: 300, durationMs: 300 });
    one.tick();
    two.tick();
    await flush();
    expect(two.health(A)).toMatchObject({ latencyMs: 200, throughputTps: 100 });
    expect(one.health(A)).toMatchObject({ latencyMs: 200, throughputTps: 100 });
    // Nothing new: nothing published.
    const before = bus.published.length;
    one.tick();
    expect(bus.published).toHaveLength(before);
    // Remote statistics age out like local ones.
    clock.advance(STATS_WINDOW_MS);
    one.tick();
    expect(one.health(A).latencyMs).toBeNull();
  });

  it('ignores malformed messages', async () => {
    const { service, sub } = start();
    for (const text of [
      'not json',
      'null',
      '{}',
      '{"v":1,"origin":"x","type":"failure","at":"soon"}',
      '{"v":1,"origin":"x","type":"stats","at":1,"stats":[null,{"key":1}]}',
    ]) {
      sub.emit('message', 'sy-unit:routing:health', text);
    }
    sub.emit(
      'message',
      'some-other-channel',
      JSON.stringify({ v: 1, origin: 'x', type: 'failure', key: 'alpha|acme/chat|', at: clock.nowMs(), count: 1 }),
    );
    await flush();
    expect(service.health(A).recentFailures).toBe(0);
  });

  it('keeps routing on local data when Redis is away, and says so once', async () => {
    const warn = jest.fn();
    const { service, sub } = start(warn);
    bus.failing = true;
    service.recordFailure(A, 'connect');
    service.recordSuccess(A, { latencyMs: 100, durationMs: 100 });
    clock.advance(PUBLISH_INTERVAL_MS);
    service.recordFailure(A, 'connect');
    service.tick();
    sub.emit('ready');
    await flush();
    expect(service.health(A)).toMatchObject({ recentFailures: 2, latencyMs: 100 });
    expect(warn).toHaveBeenCalledTimes(2); // once per distinct error: publish, then subscribe
    bus.failing = false;
    sub.emit('ready'); // reconnected: subscribes again
    await flush();
    expect(sub.subscribeCalls).toBe(3);
    expect(sub.channels.has('sy-unit:routing:health')).toBe(true);
  });

  it('unsubscribes and stops its timer on shutdown', () => {
    const { service, sub } = start();
    service.onApplicationShutdown();
    expect(sub.disconnected).toBe(true);
    expect(sub.listenerCount('message')).toBe(0);
  });
});
