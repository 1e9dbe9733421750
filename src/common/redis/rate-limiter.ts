import { Injectable } from '@nestjs/common';
import { Clock } from '../clock/clock';
import { AppLogger } from '../logging/app-logger';
import { RedisService } from './redis.service';

export interface LimitRule {
  /** What the limit is called in errors (e.g. `free-models-per-day`). */
  name: string;
  /** Who is counted (e.g. `key:<id>`). */
  subject: string;
  max: number;
  windowMs: number;
}

export interface LimitState {
  name: string;
  max: number;
  remaining: number;
  /** When the window ends, epoch milliseconds. */
  resetAt: number;
}

export type RateDecision =
  | { allowed: true; states: LimitState[] }
  | { allowed: false; blockedBy: LimitState; states: LimitState[] }
  | { allowed: 'unknown'; error: string };

/**
 * Checks every window first and counts the hit in all of them only if none is full, in one Lua call,
 * so concurrent callers on any number of processes cannot overshoot and a rejected request does not
 * use up another window. Returns the counts after the call.
 */
const SCRIPT = `
local n = #KEYS
for i = 1, n do
  local c = tonumber(redis.call('GET', KEYS[i]) or '0')
  if c >= tonumber(ARGV[i]) then
    local out = {-i}
    for j = 1, n do out[#out + 1] = tonumber(redis.call('GET', KEYS[j]) or '0') end
    return out
  end
end
local out = {0}
for i = 1, n do
  local c = redis.call('INCR', KEYS[i])
  if c == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[n + i]) end
  out[#out + 1] = c
end
return out
`;

/** Fixed-window request limits in Redis (never money: see DESIGN.md). Windows align to the epoch, so days are UTC days. */
@Injectable()
export class RateLimiter {
  private readonly log: AppLogger;

  constructor(
    private readonly redis: RedisService,
    private readonly clock: Clock,
    logger: AppLogger,
  ) {
    this.log = logger.child({ component: 'rate-limit' });
    this.redis.client.defineCommand('syRateLimit', { lua: SCRIPT });
  }

  async hit(rules: LimitRule[]): Promise<RateDecision> {
    if (rules.length === 0) return { allowed: true, states: [] };
    const windows = this.windows(rules);
    let result: number[];
    try {
      const client = this.redis.client as unknown as {
        syRateLimit(n: number, ...args: (string | number)[]): Promise<number[]>;
      };
      result = await client.syRateLimit(
        windows.length,
        ...windows.map((w) => w.key),
        ...rules.map((r) => r.max),
        // Keep a window's key a little past its end so a slightly slow clock elsewhere still sees it.
        ...rules.map((r) => r.windowMs + 60_000),
      );
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'rate limit check failed');
      return { allowed: 'unknown', error: (err as Error).message };
    }
    const [status, ...counts] = result;
    const states = windows.map((w, i) => ({
      name: w.rule.name,
      max: w.rule.max,
      remaining: Math.max(0, w.rule.max - counts[i]),
      resetAt: w.resetAt,
    }));
    if (status < 0) return { allowed: false, blockedBy: states[-status - 1], states };
    return { allowed: true, states };
  }

  /** The current windows' states without counting a request; null while Redis cannot answer. */
  async peek(rules: LimitRule[]): Promise<LimitState[] | null> {
    if (rules.length === 0) return [];
    const windows = this.windows(rules);
    let counts: (string | null)[];
    try {
      counts = await this.redis.client.mget(...windows.map((w) => w.key));
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'rate limit read failed');
      return null;
    }
    return windows.map((w, i) => ({
      name: w.rule.name,
      max: w.rule.max,
      remaining: Math.max(0, w.rule.max - Number(counts[i] ?? 0)),
      resetAt: w.resetAt,
    }));
  }

  private windows(rules: LimitRule[]): { rule: LimitRule; key: string; resetAt: number }[] {
    const now = this.clock.nowMs();
    return rules.map((r) => {
      const start = Math.floor(now / r.windowMs) * r.windowMs;
      return { rule: r, key: `rl:${r.name}:${r.subject}:${start}`, resetAt: start + r.windowMs };
    });
  }
}
