import { InsufficientBalanceError } from '../../ledger.service';

const RETRYABLE_PG = new Set(['40P01', '40001']);

/**
 * Runs a ledger transaction again when a balance moved under it (a concurrent hold made the
 * computed split impossible) or Postgres broke a deadlock. Anything else, or too many tries,
 * goes back to the queue, which retries with backoff.
 */
export async function withLedgerRetry<T>(work: () => Promise<T>, tries = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await work();
    } catch (err) {
      const retryable = err instanceof InsufficientBalanceError || RETRYABLE_PG.has((err as { code?: string }).code ?? '');
      if (!retryable || i >= tries) throw err;
      await new Promise((r) => setTimeout(r, 10 * i + Math.floor(Math.random() * 20)));
    }
  }
}
