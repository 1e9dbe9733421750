import { AppError } from '../common/errors/app-error';
import { nanosToUsd } from '../common/money/money';

export type LimitSource = 'key' | 'key_daily' | 'key_weekly' | 'key_monthly' | 'user_daily' | 'user_weekly' | 'user_monthly';

export const LIMIT_SOURCES: readonly LimitSource[] = [
  'key',
  'key_daily',
  'key_weekly',
  'key_monthly',
  'user_daily',
  'user_weekly',
  'user_monthly',
];

/** By how much a cap refused a request, in nanodollars: the cap, what is left of it, what the request needs. */
export interface LimitShortfall {
  limit: bigint;
  remaining: bigint;
  needed: bigint;
}

const usd = (n: bigint) => `$${nanosToUsd(n)}`;

function limitMessage(source: LimitSource, s?: LimitShortfall): string {
  const head = source.startsWith('key')
    ? `Key limit exceeded (${source === 'key' ? 'total' : source.slice(4)} limit)`
    : `Your ${source.slice(5)} spending cap is reached`;
  return s
    ? `${head}: this request needs up to ${usd(s.needed)} and ${usd(s.remaining)} of the ${usd(s.limit)} ${source.startsWith('key') ? 'limit' : 'cap'} is left`
    : head;
}

export const KeysErrors = {
  missingKey: () =>
    new AppError('authentication', 'No API key: send it as `Authorization: Bearer sk-sy-v1-...`', {}, { 'www-authenticate': 'Bearer' }),
  invalidKey: () => new AppError('authentication', 'Invalid API key', {}, { 'www-authenticate': 'Bearer' }),
  disabledKey: () => new AppError('authentication', 'API key is disabled', {}, { 'www-authenticate': 'Bearer' }),
  expiredKey: () => new AppError('authentication', 'API key has expired', {}, { 'www-authenticate': 'Bearer' }),
  keyNotFound: () => new AppError('not_found', 'Key not found'),
  managementKeyRequired: () => new AppError('permission_denied', 'This endpoint needs a management key or a signed-in session'),
  managementKeyNotForInference: () =>
    new AppError('permission_denied', 'Management keys cannot call inference endpoints; create an API key'),
  managementKeyCannotMintManagementKeys: () => new AppError('permission_denied', 'A management key cannot create management keys'),
  managementKeyCannotTouchManagementKeys: () =>
    new AppError('permission_denied', 'A management key cannot change or delete another management key; sign in to do that'),
  managementKeyCannotExtendItself: () =>
    new AppError('permission_denied', 'A management key cannot change its own expiry or limit; sign in to do that'),
  beyondManagementKeyExpiry: (expiresAt: Date) =>
    new AppError(
      'permission_denied',
      `A management key that expires cannot give a key a later expiry (or none): expires_at must be at most ${expiresAt.toISOString()}`,
    ),
  /** A cap, not the balance, refused: 403 naming it (`limit_source`) and, when known, by how much (USD). */
  limitExceeded: (source: LimitSource, shortfall?: LimitShortfall) =>
    new AppError(
      'permission_denied',
      limitMessage(source, shortfall),
      {
        limit_source: source,
        ...(shortfall
          ? {
              limit: nanosToUsd(shortfall.limit),
              limit_remaining: nanosToUsd(shortfall.remaining),
              request_cost: nanosToUsd(shortfall.needed),
            }
          : {}),
      },
      {},
      'cap',
    ),
};
