import { ERROR_STATUS, ErrorCode } from './error-codes';

export type ErrorMetadata = Record<string, unknown>;

/**
 * Why money refused a request, for code that must tell refusals apart (a cap, the balance, a
 * frozen account); clients read `metadata.limit_source` instead.
 */
export type RefusalReason = 'cap' | 'balance' | 'dispute';

/**
 * The one error type domain code throws. The message is shown to clients, so it must never carry
 * secrets or internals; `metadata` is serialised into `error.metadata` (an `availability` key goes
 * next to it, as `error.availability`: see error-envelope.ts).
 */
export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly metadata: ErrorMetadata = {},
    readonly headers: Record<string, string> = {},
    readonly reason: RefusalReason | null = null,
  ) {
    super(message);
    this.name = 'AppError';
    this.status = ERROR_STATUS[code];
  }
}
