import { Injectable } from '@nestjs/common';
import { AppConfig } from '../common/config/app-config';
import type { ProviderRefusal } from '../providers/error-status';
import type { UpstreamFailure } from '../providers/upstream-client';

/** How one call to an endpoint failed before any output, as the retry policy judges it. */
export interface AttemptFailure {
  /** The HTTP status the provider answered (or an error event inside a stream stood for); null for a transport failure. */
  status: number | null;
  /** The transport failure, when there was no status. */
  transport: UpstreamFailure | null;
  /** The socket or undici error code behind a transport failure (ECONNRESET, ...). */
  code: string | null;
  /** What the provider's `Retry-After` (or `retry-after-ms`) asked for. */
  retryAfterMs: number | null;
  /** A refusal no retry on the same model changes. */
  refusal: ProviderRefusal | null;
  /** The provider's own error code, for the client. */
  providerCode: string | null;
  message: string;
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false };

/** Where a request stands in its retries. */
export interface RetryState {
  /** Retries of the endpoint just called, in this request. */
  endpointRetries: number;
  /** Retries made by this request, all endpoints together. */
  retries: number;
  /** What is left of the request's time budget. */
  remainingMs: number;
}

/** A call is not started with less of the budget left than this: it could not answer anyway. */
export const MIN_CALL_MS = 1000;

/** Reset connections: the provider (or a proxy, or a stale pooled connection) dropped this one call. */
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

/** Transient server errors worth one more try at the same endpoint; 503 and 529 say "overloaded": go elsewhere. */
const TRANSIENT_STATUS = new Set([408, 500, 502, 504]);

/**
 * `Retry-After` in seconds or as an HTTP date, or OpenAI's `retry-after-ms`; null when absent or
 * unreadable. Never negative.
 */
export function retryAfterMs(headers: Record<string, string | string[] | undefined>, now: number): number | null {
  const one = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const ms = one('retry-after-ms');
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.round(Number(ms));
  const value = one('retry-after')?.trim();
  if (!value) return null;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * When a request calls the same endpoint again instead of falling back (README, Fallbacks): once
 * per endpoint, within the request's retry budget and its time budget, after
 * - a 429 or 503 whose `Retry-After` is at most UPSTREAM_RETRY_AFTER_MAX_MS: after that long;
 * - a 429 without one, a 408, 500, 502 or 504, or a reset connection: after a backoff that doubles
 *   per retry of the request (UPSTREAM_BACKOFF_BASE_MS up to UPSTREAM_BACKOFF_MAX_MS), each drawn
 *   at random between half and all of it so that clients failing together do not retry together.
 * Never after a timeout (the provider had its time), a refused connection (it is down), a 503 or
 * 529 without `Retry-After` (overloaded), another 4xx, or a refusal.
 */
@Injectable()
export class RetryPolicy {
  /** Where the jitter comes from (replaceable in tests). */
  rng: () => number = Math.random;

  constructor(private readonly config: AppConfig) {}

  /** When a request received at `receivedAt` starts no more calls, and its calls' timeouts end. */
  deadline(receivedAt: number): number {
    return receivedAt + this.config.retry.budgetMs;
  }

  /**
   * How long a call may wait for the provider's response headers: a stream's first byte, or a
   * non-streaming answer (which comes whole), never past the request's budget.
   */
  firstByteMs(streamed: boolean, remainingMs: number): number {
    const u = this.config.upstream;
    const limit = streamed ? Math.min(u.firstByteTimeoutMs, u.firstTokenTimeoutMs) : u.nonStreamingTimeoutMs;
    return Math.max(1, Math.min(limit, remainingMs));
  }

  /** How long after it was sent a stream may take to its first output, never past the request's budget. */
  firstTokenMs(remainingMs: number, elapsedMs: number): number {
    return Math.max(1, Math.min(this.config.upstream.firstTokenTimeoutMs - elapsedMs, remainingMs));
  }

  decide(failure: AttemptFailure, state: RetryState): RetryDecision {
    if (failure.refusal || state.endpointRetries >= 1 || state.retries >= this.config.retry.retries) return { retry: false };
    const delayMs = this.delayFor(failure, state.retries);
    if (delayMs === null || delayMs + MIN_CALL_MS > state.remainingMs) return { retry: false };
    return { retry: true, delayMs };
  }

  private delayFor(f: AttemptFailure, retries: number): number | null {
    if ((f.status === 429 || f.status === 503) && f.retryAfterMs !== null)
      return f.retryAfterMs <= this.config.retry.retryAfterMaxMs ? f.retryAfterMs : null;
    if (f.status === 429 || (f.status !== null && TRANSIENT_STATUS.has(f.status))) return this.backoff(retries);
    if (f.status === null && f.transport !== 'timeout' && f.code !== null && RESET_CODES.has(f.code)) return this.backoff(retries);
    return null;
  }

  /** The n-th backoff (0-based), with jitter: between half and all of base * 2^n, capped. */
  backoff(n: number): number {
    const { backoffBaseMs, backoffMaxMs } = this.config.retry;
    const full = Math.min(backoffMaxMs, backoffBaseMs * 2 ** n);
    return Math.round(full * (0.5 + 0.5 * this.rng()));
  }
}
