import { AppError } from './app-error';

/** Seconds a client is told to wait when a dependency (Postgres, Redis) is unavailable. */
export const DEPENDENCY_RETRY_AFTER_SECONDS = 2;

/** The 503 every "Postgres or Redis is down, frozen or saturated" failure becomes. */
export function dependencyUnavailable(message = 'The service is temporarily unavailable; try again shortly'): AppError {
  return new AppError('service_unavailable', message, {}, { 'retry-after': String(DEPENDENCY_RETRY_AFTER_SECONDS) });
}

/**
 * SQLSTATEs and socket errors that say the database could not answer (unreachable, restarting,
 * out of connections, or a query cut by a timeout), not that the query was wrong.
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '57014', // query_canceled (statement_timeout)
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '08007',
  '08P01',
]);

/** Messages of pg, pg-pool and ioredis for the same situations (they carry no code). */
const UNAVAILABLE_MESSAGES = [
  /timeout exceeded when trying to connect/i,
  /^Query read timeout$/i,
  /Connection terminated/i,
  /not queryable/i,
  /Client was closed and is not queryable/i,
  /Cannot use a pool after calling end/i,
  /^Command timed out$/i,
  /enableOfflineQueue options is false/i,
  /^Connection is closed\.?$/i,
  /Client has encountered a connection error/i,
  /Reached the max retries per request limit/i,
];

/**
 * Whether an error (or what it wraps: TypeORM's QueryFailedError keeps the driver's error) means
 * a dependency was unavailable rather than a bug. Such errors are answered 503 with Retry-After.
 */
export function isDependencyUnavailable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 3) return false;
  const e = error as { code?: unknown; message?: unknown; name?: unknown; driverError?: unknown; cause?: unknown };
  if (typeof e.code === 'string' && UNAVAILABLE_CODES.has(e.code)) return true;
  // ioredis, once a command has used up its retries while the connection is down.
  if (e.name === 'MaxRetriesPerRequestError') return true;
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGES.some((re) => re.test(e.message as string))) return true;
  return isDependencyUnavailable(e.driverError, depth + 1) || isDependencyUnavailable(e.cause, depth + 1);
}
