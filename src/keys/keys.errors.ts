import { AppError } from '../common/errors/app-error';

export type LimitSource = 'key' | 'key_daily' | 'key_weekly' | 'key_monthly' | 'user_daily' | 'user_weekly' | 'user_monthly';

export const KeysErrors = {
  missingKey: () =>
    new AppError('authentication', 'No API key: send it as `Authorization: Bearer sk-sy-v1-...`', {}, { 'www-authenticate': 'Bearer' }),
  invalidKey: () => new AppError('authentication', 'Invalid API key', {}, { 'www-authenticate': 'Bearer' }),
  disabledKey: () => new AppError('authentication', 'API key is disabled', {}, { 'www-authenticate': 'Bearer' }),
  expiredKey: () => new AppError('authentication', 'API key has expired', {}, { 'www-authenticate': 'Bearer' }),
  keyNotFound: () => new AppError('not_found', 'Key not found'),
  managementKeyRequired: () =>
    new AppError('permission_denied', 'This endpoint needs a management key or a signed-in session'),
  managementKeyNotForInference: () =>
    new AppError('permission_denied', 'Management keys cannot call inference endpoints; create an API key'),
  managementKeyCannotMintManagementKeys: () =>
    new AppError('permission_denied', 'A management key cannot create management keys'),
  managementKeyCannotTouchManagementKeys: () =>
    new AppError('permission_denied', 'A management key cannot change or delete another management key; sign in to do that'),
  managementKeyCannotExtendItself: () =>
    new AppError('permission_denied', 'A management key cannot change its own expiry or limit; sign in to do that'),
  beyondManagementKeyExpiry: (expiresAt: Date) =>
    new AppError('permission_denied', `A management key that expires cannot give a key a later expiry (or none): expires_at must be at most ${expiresAt.toISOString()}`),
  limitExceeded: (source: LimitSource) =>
    source.startsWith('key')
      ? new AppError('permission_denied', `Key limit exceeded (${source === 'key' ? 'total' : source.slice(4)} limit)`, {
          limit_source: source,
        })
      : new AppError('permission_denied', `Your ${source.slice(5)} spending cap is reached`, { limit_source: source }),
};
