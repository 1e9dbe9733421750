import { AppError } from '../common/errors/app-error';

export type TokenErrorCode = 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unsupported_grant_type' | 'invalid_scope';

/**
 * An RFC 6749 §5.2 error of the token and revocation endpoints, rendered as `{error,
 * error_description}` by OAuthTokenErrorFilter rather than in the API's envelope. Descriptions are
 * fixed printable ASCII: nothing from the request is echoed.
 */
export class OAuthTokenError extends Error {
  constructor(
    readonly error: TokenErrorCode,
    readonly description: string,
    readonly status = 400,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
    this.name = 'OAuthTokenError';
  }
}

export const TokenErrors = {
  invalidRequest: (description: string) => new OAuthTokenError('invalid_request', description),
  invalidClient: () =>
    new OAuthTokenError('invalid_client', 'Client authentication failed', 401, {
      'www-authenticate': 'Basic realm="switchyard", charset="UTF-8"',
    }),
  invalidGrant: (
    description = 'The authorization code is invalid, expired, already used, or was issued to another client or redirect URI',
  ) => new OAuthTokenError('invalid_grant', description),
  unsupportedGrantType: () => new OAuthTokenError('unsupported_grant_type', 'Only the authorization_code grant is supported'),
};

/** The OpenRouter-style exchange (`POST /api/v1/auth/keys`) answers in the API's envelope, with OpenRouter's statuses. */
export const ExchangeErrors = {
  invalidMethod: () => new AppError('invalid_request', 'Invalid code_challenge_method: only S256 is supported'),
  invalidCode: () => new AppError('permission_denied', 'Invalid code or code_verifier'),
  expired: () => new AppError('permission_denied', 'Authorization code expired'),
};

export const AppsErrors = {
  invalidField: (field: string, message: string) =>
    new AppError('validation_failed', `Invalid request: ${message}`, { fields: [{ field, messages: [message] }] }),
  notAuthorized: () => new AppError('not_found', 'No authorized app with this id'),
};
