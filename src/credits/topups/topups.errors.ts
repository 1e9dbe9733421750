import { AppError } from '../../common/errors/app-error';

export const TopupsErrors = {
  notConfigured: () => new AppError('service_unavailable', 'Card top-ups are not configured'),
  amountOutOfRange: (minUsd: string, maxUsd: string) => {
    const message = `amount must be between ${minUsd} and ${maxUsd} USD`;
    return new AppError('validation_failed', `Invalid request: ${message}`, { fields: [{ field: 'amount', messages: [message] }] });
  },
  /** Stripe failed or could not be reached; details stay in the log. */
  paymentProviderUnavailable: () => new AppError('provider_unavailable', 'The payment provider is unavailable; please try again'),
  badSignature: () => new AppError('invalid_request', 'Invalid Stripe webhook signature'),
};

/** A Stripe API call failed (network, 4xx or 5xx). The message is for logs only. */
export class StripeApiError extends Error {
  constructor(
    message: string,
    readonly statusCode: number | null,
  ) {
    super(message);
    this.name = 'StripeApiError';
  }
}

/** The webhook request did not carry a valid signature for its raw body (or is too old). */
export class WebhookSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookSignatureError';
  }
}

/** An event that cannot be applied yet (e.g. a refund before its top-up is credited): retry later. */
export class NotReadyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotReadyError';
  }
}
