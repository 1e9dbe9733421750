import { EventEmitter } from 'node:events';
import type { Pool } from 'pg';
import { dropBrokenConnections, retryIdempotentRead } from './connection-faults';

describe('retryIdempotentRead', () => {
  it('reads again once when the connection turned out to be dead', async () => {
    const read = jest
      .fn()
      .mockRejectedValueOnce(Object.assign(new Error('query failed'), { driverError: new Error('Connection terminated unexpectedly') }))
      .mockResolvedValueOnce('row');
    await expect(retryIdempotentRead(read)).resolves.toBe('row');
    expect(read).toHaveBeenCalledTimes(2);
  });

  it('does not retry timeouts or query errors, and gives up after the second failure', async () => {
    for (const message of ['Query read timeout', 'timeout exceeded when trying to connect', 'relation "x" does not exist']) {
      const read = jest.fn().mockRejectedValue(new Error(message));
      await expect(retryIdempotentRead(read)).rejects.toThrow(message);
      expect(read).toHaveBeenCalledTimes(1);
    }
    const dead = jest.fn().mockRejectedValue(Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
    await expect(retryIdempotentRead(dead)).rejects.toThrow('reset');
    expect(dead).toHaveBeenCalledTimes(2);
  });
});

describe('dropBrokenConnections', () => {
  function fakeClient(result: () => Promise<unknown>) {
    const stream = { destroy: jest.fn() };
    return { connection: { stream }, query: jest.fn((_text: string) => result()), stream };
  }

  it('destroys a connection whose query timed out on the client side, and only such a connection', async () => {
    const pool = new EventEmitter();
    dropBrokenConnections(pool as unknown as Pool);
    const timedOut = fakeClient(() => Promise.reject(new Error('Query read timeout')));
    const wrongQuery = fakeClient(() => Promise.reject(new Error('syntax error')));
    pool.emit('acquire', timedOut);
    pool.emit('acquire', timedOut);
    pool.emit('acquire', wrongQuery);
    await expect(timedOut.query('SELECT 1')).rejects.toThrow('Query read timeout');
    await expect(wrongQuery.query('SELEC 1')).rejects.toThrow('syntax error');
    expect(timedOut.stream.destroy).toHaveBeenCalledTimes(1);
    expect(wrongQuery.stream.destroy).not.toHaveBeenCalled();
  });

  it('also for callback-style queries (the pool runs its own that way)', () => {
    const pool = new EventEmitter();
    dropBrokenConnections(pool as unknown as Pool);
    const stream = { destroy: jest.fn() };
    const client = {
      connection: { stream },
      query: (_text: string, _values: unknown[], cb: (err: Error | null) => void) => cb(new Error('Connection terminated unexpectedly')),
    };
    pool.emit('acquire', client);
    const cb = jest.fn();
    client.query('SELECT 1', [], cb);
    expect(cb).toHaveBeenCalledWith(expect.any(Error), undefined);
    expect(stream.destroy).toHaveBeenCalledTimes(1);
  });
});
