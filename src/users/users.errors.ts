import { AppError } from '../common/errors/app-error';

export const UsersErrors = {
  emailTaken: () => new AppError('conflict', 'An account with this email already exists'),
  badCredentials: () => new AppError('authentication', 'Invalid email or password'),
  notSignedIn: () => new AppError('authentication', 'Sign in first: no valid session'),
  signInUnavailable: () =>
    new AppError('service_unavailable', 'Sign-in is temporarily unavailable; try again shortly'),
  weakPassword: () => new AppError('validation_failed', 'The new password must have 10 to 256 characters'),
  oidcNotConfigured: () => new AppError('not_found', 'Single sign-on is not configured'),
  oidcFailed: (reason: string) => new AppError('invalid_request', `Single sign-on failed: ${reason}`),
};
