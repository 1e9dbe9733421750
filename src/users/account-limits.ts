import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock/clock';
import { AppConfig } from '../common/config/app-config';
import { sha256Hex } from '../common/crypto/tokens';
import { rateLimitError } from '../common/errors/rate-limit-error';
import { LimitRule, RateLimiter } from '../common/redis/rate-limiter';
import { UsersErrors } from './users.errors';

const TEN_MINUTES = 10 * 60_000;
const FIFTEEN_MINUTES = 15 * 60_000;
const ONE_HOUR = 60 * 60_000;

/**
 * How often anyone may try what costs the account pages a password hash, a stored row or a mail:
 * every limit of the users module in one place. Each check counts one attempt and throws the 429
 * when a window is full; while Redis is unreachable it throws the 503 (refused, never unlimited).
 */
@Injectable()
export class AccountLimits {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /** Accounts made per client address (`SIGN_UPS_PER_ADDRESS_PER_HOUR`, 0 for none). */
  async signUp(clientIp: string): Promise<void> {
    const max = this.config.rateLimits.signUpsPerAddressPerHour;
    if (max > 0)
      await this.enforce(
        [{ name: 'sign-up-per-ip', subject: clientIp, max, windowMs: ONE_HOUR }],
        'Too many accounts created from this address; try again later',
      );
  }

  /**
   * Password attempts per (client address, email) and per client address. There is no limit per
   * email alone: anyone could use it to lock the owner out of their own account.
   */
  signIn(clientIp: string, email: string): Promise<void> {
    return this.enforce(
      [
        { name: 'sign-in-per-ip-and-email', subject: sha256Hex(`${clientIp} ${email}`), max: 10, windowMs: FIFTEEN_MINUTES },
        { name: 'sign-in-per-ip', subject: clientIp, max: 100, windowMs: FIFTEEN_MINUTES },
      ],
      'Too many sign-in attempts; try again later',
    );
  }

  /** Single sign-on starts per client address: each one stores an attempt for ten minutes. */
  oidcStart(clientIp: string): Promise<void> {
    return this.enforce(
      [{ name: 'oidc-start-per-ip', subject: clientIp, max: 60, windowMs: TEN_MINUTES }],
      'Too many sign-in attempts; try again later',
    );
  }

  /** Confirmation mails per user. */
  verificationMail(userId: string): Promise<void> {
    return this.enforce(
      [{ name: 'verify-mail-per-user', subject: userId, max: 5, windowMs: ONE_HOUR }],
      'Too many confirmation emails; try again later',
    );
  }

  /** Password reset mails per (client address, email) and per client address. */
  resetMail(clientIp: string, email: string): Promise<void> {
    return this.enforce(
      [
        { name: 'reset-mail-per-ip-and-email', subject: sha256Hex(`${clientIp} ${email}`), max: 3, windowMs: ONE_HOUR },
        { name: 'reset-mail-per-ip', subject: clientIp, max: 20, windowMs: ONE_HOUR },
      ],
      'Too many password reset requests; try again later',
    );
  }

  private async enforce(rules: LimitRule[], message: string): Promise<void> {
    const decision = await this.limiter.hit(rules);
    if (decision.allowed === 'unknown') throw UsersErrors.signInUnavailable();
    if (!decision.allowed) throw rateLimitError(decision.blockedBy, this.clock.nowMs(), message);
  }
}
