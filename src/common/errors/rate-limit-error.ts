import { LimitState } from '../redis/rate-limiter';
import { AppError } from './app-error';

/** 429 in OpenRouter's shape: X-RateLimit-* and Retry-After headers, mirrored in metadata. */
export function rateLimitError(state: LimitState, now: number, message: string, metadata: Record<string, unknown> = {}): AppError {
  const headers = {
    'x-ratelimit-limit': String(state.max),
    'x-ratelimit-remaining': String(state.remaining),
    'x-ratelimit-reset': String(state.resetAt),
    'retry-after': String(Math.max(1, Math.ceil((state.resetAt - now) / 1000))),
  };
  return new AppError('rate_limit_exceeded', message, { headers, limit_source: state.name, ...metadata }, headers);
}
