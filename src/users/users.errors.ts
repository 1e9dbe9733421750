import { AppError } from '../common/errors/app-error';

export const UsersErrors = {
  emailTooLong: () =>
    new AppError('validation_failed', 'Invalid request: email must be at most 254 characters once lower-cased', {
      fields: [{ field: 'email', messages: ['email must be at most 254 characters once lower-cased'] }],
    }),
  emailTaken: () => new AppError('conflict', 'An account with this email already exists'),
  badCredentials: () => new AppError('authentication', 'Invalid email or password'),
  notSignedIn: () => new AppError('authentication', 'Sign in first: no valid session'),
  signInUnavailable: () => new AppError('service_unavailable', 'Sign-in is temporarily unavailable; try again shortly'),
  invalidLink: () => new AppError('invalid_request', 'This link is invalid, expired or already used; ask for a new one'),
  unverifiedAccountExists: () =>
    new AppError(
      'conflict',
      'An account with this email exists but its address is not confirmed, so it cannot be linked to single sign-on. Confirm the address from the email we sent, or reset the password with "Forgot password", then sign in again',
    ),
  weakPassword: () => new AppError('validation_failed', 'The new password must have 10 to 256 characters'),
  oidcNotConfigured: () => new AppError('not_found', 'Single sign-on is not configured'),
  oidcFailed: (reason: string) => new AppError('invalid_request', `Single sign-on failed: ${reason}`),
};
