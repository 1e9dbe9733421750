import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock/clock';
import { AppConfig } from '../common/config/app-config';
import { randomToken, sha256Hex } from '../common/crypto/tokens';
import { AppError } from '../common/errors/app-error';
import { rateLimitError } from '../common/errors/rate-limit-error';
import { AppLogger } from '../common/logging/app-logger';
import { Mailer, MailOutcome } from '../common/mail/mailer';
import { RateLimiter } from '../common/redis/rate-limiter';
import { AccountEvents } from './account-events';
import { UserDto } from './dto/user.dto';
import { EmailTokenPurpose } from './entities/email-token.entity';
import { PasswordHasher } from './password-hasher';
import { UsersErrors } from './users.errors';
import { UsersRepository } from './users.repository';
import { normaliseEmail, toUserDto } from './user-shapes';

const HOUR = 3_600_000;
/** How long a link works: a day to confirm an address, an hour to reset a password. */
const LIFETIME_MS: Record<EmailTokenPurpose, number> = { verify_email: 24 * HOUR, reset_password: HOUR };
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export interface PasswordResetRequest {
  email: string;
  clientIp: string;
}

export interface NewPassword {
  token: string;
  password: string;
}

/** What a link in an account mail is for, for the page that lands it (no secret in it). */
export interface LinkInfo {
  email: string;
}

/**
 * Account mail: address verification and password reset by one-time links. Links carry a 256-bit
 * random token; only its SHA-256 is stored, each works once and for a limited time.
 *
 * For the account pages (Settings): `sendVerification(userId)` sends (again) the link that
 * confirms the user's address; `verifyEmail(token)` confirms it; `requestPasswordReset` and
 * `resetPassword` are the "forgot password" pair (signed out).
 */
@Injectable()
export class AccountEmailService {
  private readonly log: AppLogger;

  constructor(
    private readonly repo: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly mailer: Mailer,
    private readonly limiter: RateLimiter,
    private readonly events: AccountEvents,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    logger: AppLogger,
  ) {
    this.log = logger.child({ component: 'account-mail' });
  }

  /**
   * Mails the user a link confirming their address (5 an hour per user). Answers what happened to
   * the mail ('not_configured' when mail goes nowhere); an already verified address gets no mail.
   */
  async sendVerification(userId: string): Promise<MailOutcome | 'already_verified'> {
    // No link is made that could not reach anyone.
    if (!this.mailer.delivers) return 'not_configured';
    const user = await this.repo.findById(userId);
    if (!user) throw new AppError('not_found', 'User not found');
    if (user.emailVerified) return 'already_verified';
    await this.limit([{ name: 'verify-mail-per-user', subject: userId, max: 5, windowMs: HOUR }], 'Too many confirmation emails; try again later');
    const token = await this.issue(userId, 'verify_email', user.email);
    return this.mailer.send({
      to: user.email,
      subject: 'Confirm your email address for Switchyard',
      text: [
        `Someone (we hope you) created a Switchyard account with the address ${user.email}.`,
        '',
        'To confirm that this address is yours, open this link within 24 hours and press Confirm:',
        this.link('/verify-email', token),
        '',
        'If you did not create this account, do not confirm it. You can take it over by resetting its password instead.',
      ].join('\n'),
    });
  }

  /** Confirms the address a verification link was sent to (if it is still the account's). */
  async verifyEmail(token: string): Promise<UserDto> {
    const used = TOKEN_SHAPE.test(token) ? await this.repo.consumeEmailToken('verify_email', sha256Hex(token), this.clock.now()) : null;
    if (!used) throw UsersErrors.invalidLink();
    if (!(await this.repo.markEmailVerifiedIfUnchanged(used.userId, used.email))) throw UsersErrors.invalidLink();
    await this.repo.retireEmailTokens(used.userId, 'verify_email', this.clock.now());
    const user = await this.repo.findById(used.userId);
    return toUserDto(user!);
  }

  /**
   * Mails a reset link if an account has this address. Answers the same, and in about the same
   * time (the mail is sent after answering), whether or not it has, so the form cannot be used to
   * find accounts; a mail that fails is logged by the Mailer, not reported. Limited to 3 an hour per address and email, 20 per address.
   */
  async requestPasswordReset(r: PasswordResetRequest): Promise<void> {
    const email = normaliseEmail(r.email);
    await this.limit(
      [
        { name: 'reset-mail-per-ip-and-email', subject: sha256Hex(`${r.clientIp} ${email}`), max: 3, windowMs: HOUR },
        { name: 'reset-mail-per-ip', subject: r.clientIp, max: 20, windowMs: HOUR },
      ],
      'Too many password reset requests; try again later',
    );
    const user = email.length <= 254 && this.mailer.delivers ? await this.repo.findByEmail(email) : null;
    if (!user) return;
    const token = await this.issue(user.id, 'reset_password', user.email);
    // Not awaited, so the answer takes no longer for a real account than for an unknown address.
    void this.mailer.send({
      to: user.email,
      subject: 'Reset your Switchyard password',
      text: [
        'Someone (we hope you) asked to reset the password of the Switchyard account with this address.',
        '',
        'To choose a new password, open this link within an hour:',
        this.link('/reset-password', token),
        '',
        'Setting a new password signs the account out everywhere. If you did not ask for this, ignore this email.',
      ].join('\n'),
    });
  }

  /**
   * Sets a new password from a reset link: every session of the account ends, other reset links
   * stop working, and the address counts as verified (the link proved it). An account whose
   * address nobody had proved before also loses every API key: whoever made them knew the old
   * password without owning the address (account pre-hijacking).
   */
  async resetPassword(r: NewPassword): Promise<UserDto> {
    if (r.password.length < 10 || r.password.length > 256) {
      throw new AppError('validation_failed', 'Invalid request: password must have 10 to 256 characters', { fields: [{ field: 'password', messages: ['password must have 10 to 256 characters'] }] });
    }
    const used = TOKEN_SHAPE.test(r.token) ? await this.repo.consumeEmailToken('reset_password', sha256Hex(r.token), this.clock.now()) : null;
    if (!used) throw UsersErrors.invalidLink();
    const user = await this.repo.findById(used.userId);
    if (!user || user.email !== used.email) throw UsersErrors.invalidLink();
    await this.repo.setPasswordFromReset(user.id, await this.hasher.hash(r.password));
    await this.repo.retireEmailTokens(user.id, 'reset_password', this.clock.now());
    const ended = await this.repo.deleteSessionsOfUser(user.id, null);
    await this.events.passwordReset({ userId: user.id, wasVerified: user.emailVerified });
    this.log.info({ userId: user.id, sessionsEnded: ended, wasVerified: user.emailVerified }, 'password reset');
    return toUserDto((await this.repo.findById(user.id))!);
  }

  /** Whether a link still works, without using it: what the landing page shows. */
  async checkLink(purpose: EmailTokenPurpose, token: string): Promise<LinkInfo | null> {
    if (!TOKEN_SHAPE.test(token)) return null;
    const live = await this.repo.findLiveEmailToken(purpose, sha256Hex(token), this.clock.now());
    return live ? { email: live.email } : null;
  }

  private async issue(userId: string, purpose: EmailTokenPurpose, email: string): Promise<string> {
    const token = randomToken();
    await this.repo.insertEmailToken({ tokenHash: sha256Hex(token), userId, purpose, email, expiresAt: new Date(this.clock.nowMs() + LIFETIME_MS[purpose]) });
    return token;
  }

  private link(path: string, token: string): string {
    return `${this.config.http.publicUrl}${path}?token=${token}`;
  }

  private async limit(rules: Parameters<RateLimiter['hit']>[0], message: string): Promise<void> {
    const decision = await this.limiter.hit(rules);
    if (decision.allowed === 'unknown') throw UsersErrors.signInUnavailable();
    if (!decision.allowed) throw rateLimitError(decision.blockedBy, this.clock.nowMs(), message);
  }
}
