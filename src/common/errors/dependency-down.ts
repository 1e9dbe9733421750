/** Socket errors that mean the database or Redis could not be reached or dropped the connection. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Postgres SQLSTATEs of a server that cannot serve now: connection exceptions (class 08),
 * admin/crash shutdown, starting up, too many connections.
 */
const UNAVAILABLE_SQLSTATE = /^(08...|57P01|57P02|57P03|53300)$/;

/** What pg, pg-pool and ioredis say when their connection went away or never came. */
const UNAVAILABLE_MESSAGE = /^(Connection terminated|timeout exceeded when trying to connect|Connection is closed|Client has encountered a connection error|Reached the max retries per request limit)/;

/**
 * Whether an error is Postgres or Redis being unreachable (down, frozen, restarting, pool
 * exhausted) rather than a bug: such a request is answered 503 with Retry-After, not 500. Looks
 * through TypeORM's `driverError` and `cause`.
 */
export function isDependencyDown(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 3) return false;
  const e = error as { code?: unknown; message?: unknown; name?: unknown; driverError?: unknown; cause?: unknown };
  if (typeof e.code === 'string' && (SOCKET_CODES.has(e.code) || UNAVAILABLE_SQLSTATE.test(e.code))) return true;
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message)) return true;
  if (e.name === 'MaxRetriesPerRequestError') return true;
  return isDependencyDown(e.driverError, depth + 1) || isDependencyDown(e.cause, depth + 1);
}
