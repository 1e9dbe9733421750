import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { AppLogger } from '../common/logging/app-logger';
import { RedisService } from '../common/redis/redis.service';

/** OpenRouter: 10 minutes of inactivity, reset on each success (reference §7.6). */
export const STICKY_TTL_SECONDS = 600;
/** Longer session ids are ignored (OpenRouter caps `session_id` / `x-session-id` at 256). */
export const MAX_SESSION_KEY_LENGTH = 256;
/** A slow Redis must not hold up routing: past this, behave as if nothing was remembered. */
const GET_TIMEOUT_MS = 250;

export interface StickyEndpoint {
  modelId: string;
  providerSlug: string;
}

/**
 * The conversation key for sticky routing: body `session_id`, else the `x-session-id` header, else
 * `prompt_cache_key`. A value that is not a non-blank string of at most 256 characters is skipped.
 */
export function sessionKeyFrom(
  body: { session_id?: unknown; prompt_cache_key?: unknown } | null | undefined,
  headers: Record<string, string | string[] | undefined>,
): string | null {
  let header = headers['x-session-id'];
  if (header === undefined) {
    const name = Object.keys(headers).find((h) => h.toLowerCase() === 'x-session-id');
    header = name === undefined ? undefined : headers[name];
  }
  for (const candidate of [body?.session_id, Array.isArray(header) ? header[0] : header, body?.prompt_cache_key]) {
    if (typeof candidate === 'string' && candidate.trim() !== '' && candidate.length <= MAX_SESSION_KEY_LENGTH) {
      return candidate;
    }
  }
  return null;
}

/** Redis key (before the client's prefix) for one user x model x conversation; hashed so no raw ids are stored. */
export function stickyKey(userId: string, modelId: string, sessionKey: string): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([userId, modelId, sessionKey]))
    .digest('hex');
  return `sticky:${digest}`;
}

/**
 * Remembers which provider served a conversation so later turns reuse its prompt cache. Purely an
 * optimisation: every Redis error or delay reads as "no sticky endpoint" and is never thrown.
 */
@Injectable()
export class StickySessionsService {
  private readonly log: AppLogger;
  private lastError = '';

  constructor(
    private readonly redis: RedisService,
    logger: AppLogger,
  ) {
    this.log = logger.child({ component: 'sticky-sessions' });
  }

  async get(userId: string, modelId: string, sessionKey: string): Promise<StickyEndpoint | null> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const providerSlug = await Promise.race([
        this.redis.client.get(stickyKey(userId, modelId, sessionKey)),
        new Promise<null>((resolve) => {
          timer = setTimeout(() => resolve(null), GET_TIMEOUT_MS);
        }),
      ]);
      return providerSlug ? { modelId, providerSlug } : null;
    } catch (err) {
      this.noteError(err as Error);
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Call after a successful request: (re)starts the 10-minute window. */
  async remember(userId: string, modelId: string, sessionKey: string, providerSlug: string): Promise<void> {
    try {
      await this.redis.client.set(stickyKey(userId, modelId, sessionKey), providerSlug, 'EX', STICKY_TTL_SECONDS);
    } catch (err) {
      this.noteError(err as Error);
    }
  }

  private noteError(err: Error): void {
    if (err.message === this.lastError) return;
    this.lastError = err.message;
    this.log.warn({ err: err.message }, 'sticky session lookup unavailable; routing without stickiness');
  }
}
