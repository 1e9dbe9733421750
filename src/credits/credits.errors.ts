import { AppError } from '../common/errors/app-error';

export const CreditsErrors = {
  insufficient: () =>
    new AppError('payment_required', 'Insufficient credits: add credits to continue', { limit_source: 'balance' }, {}, 'balance'),
  negativeBalance: () =>
    new AppError(
      'payment_required',
      'Your balance is negative: add credits to repay it before making new requests',
      { limit_source: 'balance' },
      {},
      'balance',
    ),
  frozen: () =>
    new AppError(
      'permission_denied',
      'Your account is frozen while a card payment is disputed',
      { limit_source: 'dispute' },
      {},
      'dispute',
    ),
};
