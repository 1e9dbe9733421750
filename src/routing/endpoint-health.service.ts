import { Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import type { ResolvedEndpoint } from '../catalog/catalog.types';
import { AppConfig } from '../common/config/app-config';
import { Clock } from '../common/clock/clock';
import { AppLogger } from '../common/logging/app-logger';
import { RedisService } from '../common/redis/redis.service';
import { EndpointHealth, endpointKey, OUTAGE_WINDOW_MS } from './plan-route';

export type FailureKind = 'connect' | 'timeout' | 'rate_limited' | 'server_error';

export interface SuccessSample {
  /** Time until the upstream answered (response headers, or the whole body when not streaming). */
  latencyMs: number;
  /** Time to the first streamed token, when streaming. */
  ttftMs?: number;
  outputTokens?: number;
  /** Whole upstream call. */
  durationMs: number;
}

/** Latency and throughput older than this are forgotten (OpenRouter uses a rolling 5-minute window). */
export const STATS_WINDOW_MS = 5 * 60_000;
/** How often pending failure counts and fresh statistics are published. */
export const PUBLISH_INTERVAL_MS = 1_000;
/** EWMA weight of a new sample: roughly the last ten requests dominate. */
const ALPHA = 0.2;
/** A source's statistics weigh by its sample count, up to this. */
const MAX_WEIGHT = 10;
/** Failure timestamps kept per endpoint; routing only needs to know there was one. */
const MAX_FAILURES = 100;

interface Ewma {
  value: number;
  n: number;
  at: number;
}

interface RemoteStats {
  latencyMs: number | null;
  throughputTps: number | null;
  n: number;
  at: number;
}

interface Stats {
  /** Failure times (ms), local and reported by other processes, within the outage window. */
  failures: number[];
  lastFailureAt: number | null;
  latency: Ewma | null;
  throughput: Ewma | null;
  /** By process id. */
  remote: Map<string, RemoteStats>;
  /** Local failures not yet published, and when this endpoint's failures were last published. */
  pendingFailures: number;
  lastPublishedFailureAt: number;
  /**
   * The circuit breaker: 0 while closed; else until when the endpoint goes last (open). After
   * that it is half-open: one request probes it (`probeUntil` keeps the others away meanwhile).
   */
  openUntil: number;
  probeUntil: number;
  /** The current outage window: the configured one, doubled by each failed probe up to the maximum. */
  windowMs: number;
}

type Message =
  | { v: 1; origin: string; type: 'failure'; key: string; at: number; count: number; kind?: FailureKind }
  | { v: 1; origin: string; type: 'recovered'; key: string; at: number }
  | {
      v: 1;
      origin: string;
      type: 'stats';
      at: number;
      stats: { key: string; latencyMs: number | null; throughputTps: number | null; n: number }[];
    };

const NOTHING_KNOWN: EndpointHealth = Object.freeze({
  recentFailures: 0,
  lastFailureAt: null,
  latencyMs: null,
  throughputTps: null,
  openUntil: null,
});

/**
 * Per-endpoint failures, latency and throughput, kept in memory so routing reads them synchronously,
 * and shared between gateway processes over one Redis pub/sub channel: a process's first failure on
 * an endpoint is published at once (later ones batched each second), statistics each second.
 * Redis is an optimisation here: when it is down every process routes on what it saw itself.
 * A process that starts learns others' observations from then on (nothing is replayed).
 *
 * Each endpoint has a circuit breaker: a failure opens it for the outage window (the endpoint goes
 * last in routing), then it is half-open and the next request that plans it probes it (others keep
 * it last until the probe is done, or for another window). A probe that fails doubles the window, up
 * to its maximum; any success closes the circuit, here and, through the channel, in every process.
 * Probes are per process: with N processes an endpoint gets at most N probes a window.
 */
@Injectable()
export class EndpointHealthService implements OnModuleInit, OnApplicationShutdown {
  private readonly stats = new Map<string, Stats>();
  private readonly dirty = new Set<string>();
  /** Tells this process's own messages apart when they come back from the channel. */
  private readonly origin = randomUUID();
  private readonly channel: string;
  private readonly log: AppLogger;
  private sub: Redis | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastError = '';
  private closing = false;

  constructor(
    private readonly redis: RedisService,
    private readonly clock: Clock,
    logger: AppLogger,
    private readonly config: AppConfig,
  ) {
    this.log = logger.child({ component: 'endpoint-health' });
    // keyPrefix does not apply to channel names.
    this.channel = `${redis.prefix}routing:health`;
  }

  onModuleInit(): void {
    const sub = this.redis.client.duplicate({ autoResubscribe: false });
    this.sub = sub;
    // Subscribe on every (re)connect ourselves: subscribe calls made while Redis is away fail.
    sub.on('ready', () => {
      sub.subscribe(this.channel).then(
        () => {
          if (this.lastError) this.log.info({}, 'endpoint health sharing restored');
          this.lastError = '';
        },
        (err: Error) => this.noteError('subscribe', err),
      );
    });
    sub.on('error', (err: Error) => this.noteError('subscriber', err));
    sub.on('message', (channel: string, text: string) => {
      if (channel === this.channel) this.receive(text);
    });
    this.timer = setInterval(() => this.tick(), PUBLISH_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    this.closing = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sub?.removeAllListeners('message');
    this.sub?.disconnect(false);
    this.sub = null;
  }

  recordSuccess(e: ResolvedEndpoint, sample: SuccessSample): void {
    const key = endpointKey(e);
    const s = this.entry(key);
    const now = this.clock.nowMs();
    const firstToken = sample.ttftMs ?? sample.latencyMs;
    if (Number.isFinite(firstToken) && firstToken >= 0) s.latency = ewma(s.latency, firstToken, now);
    // Streaming: tokens over the time after the first one; otherwise over the whole call.
    const generatingMs = sample.ttftMs !== undefined ? sample.durationMs - sample.ttftMs : sample.durationMs;
    if (sample.outputTokens && sample.outputTokens > 0 && generatingMs > 0) {
      s.throughput = ewma(s.throughput, (sample.outputTokens * 1000) / generatingMs, now);
    }
    this.dirty.add(key);
    if (s.openUntil > 0) {
      this.close(s);
      this.publish({ v: 1, origin: this.origin, type: 'recovered', key, at: now });
    }
  }

  recordFailure(e: ResolvedEndpoint, kind: FailureKind): void {
    const key = endpointKey(e);
    const s = this.entry(key);
    const now = this.clock.nowMs();
    addFailures(s, now, 1);
    this.open(s, now);
    // The first failure after a quiet second goes out at once; the rest wait for the next tick.
    if (now - s.lastPublishedFailureAt >= PUBLISH_INTERVAL_MS) {
      s.lastPublishedFailureAt = now;
      this.publish({ v: 1, origin: this.origin, type: 'failure', key, at: now, count: 1, kind });
    } else {
      s.pendingFailures++;
    }
  }

  health(e: ResolvedEndpoint): EndpointHealth {
    const s = this.stats.get(endpointKey(e));
    if (!s) return NOTHING_KNOWN;
    const now = this.clock.nowMs();
    let recentFailures = 0;
    for (const at of s.failures) if (now - at < OUTAGE_WINDOW_MS) recentFailures++;
    const fresh = (at: number) => now - at < STATS_WINDOW_MS;
    const latency: [number, number][] = [];
    const throughput: [number, number][] = [];
    if (s.latency && fresh(s.latency.at)) latency.push([s.latency.value, s.latency.n]);
    if (s.throughput && fresh(s.throughput.at)) throughput.push([s.throughput.value, s.throughput.n]);
    for (const r of s.remote.values()) {
      if (!fresh(r.at)) continue;
      if (r.latencyMs !== null) latency.push([r.latencyMs, r.n]);
      if (r.throughputTps !== null) throughput.push([r.throughputTps, r.n]);
    }
    return {
      recentFailures,
      lastFailureAt: s.lastFailureAt,
      latencyMs: weightedMean(latency),
      throughputTps: weightedMean(throughput),
      openUntil: this.circuit(s, now),
    };
  }

  /** Until when the endpoint stays last in routing (null: it routes normally); claims a half-open circuit's probe. */
  private circuit(s: Stats, now: number): number | null {
    if (s.openUntil === 0) return null;
    if (now < s.openUntil) return s.openUntil;
    if (now < s.probeUntil) return s.probeUntil;
    // Half-open: this request probes it; the others wait for its outcome, or for another window.
    s.probeUntil = now + s.windowMs;
    return null;
  }

  /** A failure: the circuit opens for the window; one that ends a probe (half-open) doubles the window first. */
  private open(s: Stats, at: number): void {
    const { windowMs, maxWindowMs } = this.config.outage;
    if (s.openUntil === 0) s.windowMs = windowMs;
    else if (at >= s.openUntil) s.windowMs = Math.min(s.windowMs * 2, maxWindowMs);
    s.openUntil = Math.max(s.openUntil, at + s.windowMs);
    s.probeUntil = 0;
  }

  private close(s: Stats): void {
    s.openUntil = 0;
    s.probeUntil = 0;
    s.windowMs = this.config.outage.windowMs;
  }

  /** Publishes pending failures and fresh statistics; forgets what is too old. */
  tick(): void {
    const now = this.clock.nowMs();
    for (const [key, s] of this.stats) {
      if (s.pendingFailures > 0) {
        this.publish({ v: 1, origin: this.origin, type: 'failure', key, at: now, count: s.pendingFailures });
        s.pendingFailures = 0;
        s.lastPublishedFailureAt = now;
      }
      s.failures = s.failures.filter((at) => now - at < OUTAGE_WINDOW_MS);
      for (const [origin, r] of s.remote) if (now - r.at >= STATS_WINDOW_MS) s.remote.delete(origin);
      const idle = (m: Ewma | null) => !m || now - m.at >= STATS_WINDOW_MS;
      if (s.openUntil === 0 && s.failures.length === 0 && s.remote.size === 0 && idle(s.latency) && idle(s.throughput)) {
        if (s.lastFailureAt === null || now - s.lastFailureAt >= STATS_WINDOW_MS) this.stats.delete(key);
      }
    }
    if (this.dirty.size === 0) return;
    const stats = [...this.dirty].flatMap((key) => {
      const s = this.stats.get(key);
      if (!s) return [];
      return [
        {
          key,
          latencyMs: s.latency?.value ?? null,
          throughputTps: s.throughput?.value ?? null,
          n: Math.max(s.latency?.n ?? 0, s.throughput?.n ?? 0),
        },
      ];
    });
    this.dirty.clear();
    if (stats.length > 0) this.publish({ v: 1, origin: this.origin, type: 'stats', at: now, stats });
  }

  private entry(key: string): Stats {
    let s = this.stats.get(key);
    if (!s) {
      s = {
        failures: [],
        lastFailureAt: null,
        latency: null,
        throughput: null,
        remote: new Map(),
        pendingFailures: 0,
        lastPublishedFailureAt: -Infinity,
        openUntil: 0,
        probeUntil: 0,
        windowMs: this.config.outage.windowMs,
      };
      this.stats.set(key, s);
    }
    return s;
  }

  private publish(message: Message): void {
    this.redis.client.publish(this.channel, JSON.stringify(message)).catch((err: Error) => this.noteError('publish', err));
  }

  private receive(text: string): void {
    let m: Message;
    try {
      m = JSON.parse(text) as Message;
    } catch {
      return;
    }
    if (!m || m.v !== 1 || m.origin === this.origin || typeof m.at !== 'number') return;
    const now = this.clock.nowMs();
    // Another host's clock may run ahead of ours.
    const at = Math.min(m.at, now);
    if (m.type === 'failure' && typeof m.key === 'string' && typeof m.count === 'number') {
      const s = this.entry(m.key);
      addFailures(s, at, Math.max(1, Math.min(m.count, MAX_FAILURES)));
      this.open(s, at);
    } else if (m.type === 'recovered' && typeof m.key === 'string') {
      const s = this.stats.get(m.key);
      // A failure seen here after that success still counts.
      if (s && s.openUntil > 0 && (s.lastFailureAt ?? 0) <= at) this.close(s);
    } else if (m.type === 'stats' && Array.isArray(m.stats)) {
      for (const r of m.stats) {
        if (typeof r?.key !== 'string' || typeof r.n !== 'number') continue;
        this.entry(r.key).remote.set(m.origin, {
          latencyMs: finiteOrNull(r.latencyMs),
          throughputTps: finiteOrNull(r.throughputTps),
          n: r.n,
          at,
        });
      }
    }
  }

  private noteError(what: string, err: Error): void {
    // Redis being away is reported by RedisService too; say it here once per distinct error.
    if (this.closing || err.message === this.lastError) return;
    this.lastError = err.message;
    this.log.warn({ err: err.message, what }, 'endpoint health sharing unavailable; routing on local data');
  }
}

function ewma(prev: Ewma | null, x: number, now: number): Ewma {
  if (!prev || now - prev.at >= STATS_WINDOW_MS) return { value: x, n: 1, at: now };
  return { value: prev.value + ALPHA * (x - prev.value), n: prev.n + 1, at: now };
}

function addFailures(s: Stats, at: number, count: number): void {
  for (let i = 0; i < count; i++) s.failures.push(at);
  if (s.failures.length > MAX_FAILURES) s.failures.splice(0, s.failures.length - MAX_FAILURES);
  if (s.lastFailureAt === null || at > s.lastFailureAt) s.lastFailureAt = at;
}

function weightedMean(values: [number, number][]): number | null {
  let sum = 0;
  let weights = 0;
  for (const [v, n] of values) {
    const w = Math.min(Math.max(n, 1), MAX_WEIGHT);
    sum += v * w;
    weights += w;
  }
  return weights > 0 ? sum / weights : null;
}

function finiteOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
