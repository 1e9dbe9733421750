import { Injectable } from '@nestjs/common';
import { AppError } from '../common/errors/app-error';
import { AppLogger } from '../common/logging/app-logger';
import { AccountEvents } from './account-events';
import { UserDto } from './dto/user.dto';
import { EmailTokenPurpose } from './entities/email-token.entity';
import { LinkInfo, OneTimeLinks } from './one-time-links';
import { PasswordHasher } from './password-hasher';
import { UsersErrors } from './users.errors';
import { UsersRepository } from './users.repository';
import { toUserDto } from './user-shapes';

export type { LinkInfo } from './one-time-links';

export interface NewPassword {
  token: string;
  password: string;
}

/**
 * What following a link from an account mail does: `verifyEmail` confirms the address,
 * `resetPassword` sets a new password (signed out); `checkLink` tells the landing page whether the
 * link still works. AccountEmailService sends the links.
 */
@Injectable()
export class AccountLinksService {
  private readonly log: AppLogger;

  constructor(
    private readonly repo: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly links: OneTimeLinks,
    private readonly events: AccountEvents,
    logger: AppLogger,
  ) {
    this.log = logger.child({ component: 'account-mail' });
  }

  /** Confirms the address a verification link was sent to (if it is still the account's). */
  async verifyEmail(token: string): Promise<UserDto> {
    const used = await this.links.use('verify_email', token);
    if (!used) throw UsersErrors.invalidLink();
    if (!(await this.repo.markEmailVerifiedIfUnchanged(used.userId, used.email))) throw UsersErrors.invalidLink();
    await this.links.retire(used.userId, 'verify_email');
    const user = await this.repo.findById(used.userId);
    return toUserDto(user!);
  }

  /**
   * Sets a new password from a reset link: every session of the account ends, other reset links
   * stop working, and the address counts as verified (the link proved it). An account whose
   * address nobody had proved before also loses every API key: whoever made them knew the old
   * password without owning the address (account pre-hijacking).
   */
  async resetPassword(r: NewPassword): Promise<UserDto> {
    if (r.password.length < 10 || r.password.length > 256) {
      throw new AppError('validation_failed', 'Invalid request: password must have 10 to 256 characters', {
        fields: [{ field: 'password', messages: ['password must have 10 to 256 characters'] }],
      });
    }
    const used = await this.links.use('reset_password', r.token);
    if (!used) throw UsersErrors.invalidLink();
    const user = await this.repo.findById(used.userId);
    if (!user || user.email !== used.email) throw UsersErrors.invalidLink();
    await this.repo.setPasswordFromReset(user.id, await this.hasher.hash(r.password));
    await this.links.retire(user.id, 'reset_password');
    const ended = await this.repo.deleteSessionsOfUser(user.id, null);
    await this.events.passwordReset({ userId: user.id, wasVerified: user.emailVerified });
    this.log.info({ userId: user.id, sessionsEnded: ended, wasVerified: user.emailVerified }, 'password reset');
    return toUserDto((await this.repo.findById(user.id))!);
  }

  /** Whether a link still works, without using it: what the landing page shows. */
  checkLink(purpose: EmailTokenPurpose, token: string): Promise<LinkInfo | null> {
    return this.links.check(purpose, token);
  }
}
