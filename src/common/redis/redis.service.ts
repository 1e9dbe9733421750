import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { AppLogger } from '../logging/app-logger';

/**
 * Delay before the next reconnection attempt: short and capped low, so a Redis that is back is
 * used (and /health turns 200) within half a second, not after a long back-off. Reconnecting to
 * an unreachable local server costs next to nothing.
 */
export const reconnectDelay = (attempt: number) => Math.min(attempt * 100, 500);

/**
 * The process's Redis connection for rate limits, caches and pub/sub. Commands fail fast while
 * Redis is unreachable (no offline queue) and give up after REDIS_COMMAND_TIMEOUT_MS when it is
 * frozen (connected but silent), so a request path waits at most that long; each caller has its
 * fallback (README, Failure modes). The client reconnects by itself. Redis never holds money: see
 * DESIGN.md.
 */
@Injectable()
export class RedisService implements OnApplicationShutdown {
  readonly client: Redis;
  readonly prefix: string;
  private lastError = '';

  constructor(config: AppConfig, logger: AppLogger) {
    const log = logger.child({ component: 'redis' });
    this.prefix = `${config.redis.keyPrefix}:`;
    this.client = new Redis(config.redis.url, {
      keyPrefix: this.prefix,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: config.redis.commandTimeoutMs,
      connectTimeout: 2000,
      lazyConnect: false,
      retryStrategy: reconnectDelay,
    });
    this.client.on('error', (err: Error) => {
      // ioredis repeats the same error on every reconnect attempt; log each distinct one once.
      if (err.message !== this.lastError) log.warn({ err: err.message }, 'redis connection error');
      this.lastError = err.message;
    });
    this.client.on('ready', () => {
      if (this.lastError) log.info({}, 'redis connection restored');
      this.lastError = '';
    });
  }

  /** Waits until the client is connected, or the timeout passes. Never throws. */
  async waitUntilReady(timeoutMs: number): Promise<boolean> {
    if (this.client.status === 'ready') return true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.client.off('ready', onReady);
        resolve(false);
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.client.once('ready', onReady);
    });
  }

  async ping(): Promise<void> {
    const answer = await this.client.ping();
    if (answer !== 'PONG') throw new Error(`unexpected PING answer ${answer}`);
  }

  async onApplicationShutdown(): Promise<void> {
    this.client.disconnect(false);
  }
}
