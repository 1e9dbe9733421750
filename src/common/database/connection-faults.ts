import type { Pool, PoolClient } from 'pg';

/** Errors after which a pooled connection cannot be trusted: its query may still be running or its peer is gone. */
const BROKEN = /^Query read timeout$|Connection terminated|not queryable/i;
const BROKEN_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02']);

function isBroken(err: unknown): boolean {
  const e = err as { message?: unknown; code?: unknown } | null;
  return !!e && ((typeof e.message === 'string' && BROKEN.test(e.message)) || (typeof e.code === 'string' && BROKEN_CODES.has(e.code)));
}

const guarded = new WeakSet<PoolClient>();

/**
 * A query that timed out on the client side is still waiting for the server on its connection,
 * and every later query on that connection would queue behind it (a frozen server keeps it so
 * forever). TypeORM hands connections back to the pool without the error, so the pool would keep
 * lending it: such a connection is destroyed instead, and the pool replaces it.
 */
export function dropBrokenConnections(pool: Pool): void {
  pool.on('acquire', (client: PoolClient) => {
    if (guarded.has(client)) return;
    guarded.add(client);
    const destroy = () => (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    const query = client.query as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = function (this: unknown, ...args: unknown[]) {
      const last = args[args.length - 1];
      if (typeof last === 'function') {
        args[args.length - 1] = (err: unknown, res: unknown) => {
          if (isBroken(err)) destroy();
          (last as (e: unknown, r: unknown) => void)(err, res);
        };
        return query.apply(this, args);
      }
      const result = query.apply(this, args);
      if (result instanceof Promise) result.catch((err: unknown) => (isBroken(err) ? destroy() : undefined));
      return result;
    };
  });
}

/** Connection-level failures a fresh connection may not see: a dead pooled connection after a restart. */
const RETRYABLE = /Connection terminated|not queryable/i;
const RETRYABLE_CODES = new Set(['ECONNRESET', 'EPIPE', '57P01', '57P02']);

/**
 * Runs an idempotent read, once more when it failed on a connection that turned out to be dead
 * (the server restarted since it was opened). Timeouts are not retried: a second wait would only
 * double the first.
 */
export async function retryIdempotentRead<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    const e = (err as { driverError?: unknown }).driverError ?? err;
    const { message, code } = (e ?? {}) as { message?: unknown; code?: unknown };
    const retry = (typeof message === 'string' && RETRYABLE.test(message)) || (typeof code === 'string' && RETRYABLE_CODES.has(code));
    if (!retry) throw err;
    return read();
  }
}
