import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { QueueHealth, QueueStatus } from '../queue/queue-health';
import { RedisService } from '../redis/redis.service';

export interface CheckResult {
  status: 'up' | 'down';
  latency_ms?: number;
  error?: string;
}

export interface HealthReport {
  status: 'ok' | 'error';
  checks: { postgres: CheckResult; redis: CheckResult; queues: CheckResult & { queues?: QueueStatus[] } };
}

const CHECK_TIMEOUT_MS = 1500;

async function timed<T>(fn: () => Promise<T>): Promise<{ result: CheckResult; value?: T }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const value = await Promise.race([
      fn(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { result: { status: 'up', latency_ms: Math.round((performance.now() - started) * 10) / 10 }, value };
  } catch (err) {
    return { result: { status: 'down', error: (err as Error).message || String(err) } };
  } finally {
    clearTimeout(timer);
  }
}

@Injectable()
export class HealthService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly redis: RedisService,
    private readonly queues: QueueHealth,
  ) {}

  async check(): Promise<HealthReport> {
    const [postgres, redis, queues] = await Promise.all([
      timed(() => this.dataSource.query('SELECT 1')),
      timed(() => this.redis.ping()),
      timed(() => this.queues.status()),
    ]);
    const checks = {
      postgres: postgres.result,
      redis: redis.result,
      queues: { ...queues.result, ...(queues.value ? { queues: queues.value } : {}) },
    };
    const ok = Object.values(checks).every((c) => c.status === 'up');
    return { status: ok ? 'ok' : 'error', checks };
  }
}
