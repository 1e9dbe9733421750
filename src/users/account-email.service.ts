import { Injectable } from '@nestjs/common';
import { AppError } from '../common/errors/app-error';
import { Mailer, MailMessage, MailOutcome } from '../common/mail/mailer';
import { AccountLimits } from './account-limits';
import { EmailTokenPurpose } from './entities/email-token.entity';
import { OneTimeLinks } from './one-time-links';
import { UsersRepository } from './users.repository';
import { normaliseEmail } from './user-shapes';

export interface PasswordResetRequest {
  email: string;
  clientIp: string;
}

/** The wording of each account mail around its link. */
const LINK_MAILS: Record<EmailTokenPurpose, { subject: string; text: (email: string, link: string) => string[] }> = {
  verify_email: {
    subject: 'Confirm your email address for Switchyard',
    text: (email, link) => [
      `Someone (we hope you) created a Switchyard account with the address ${email}.`,
      '',
      'To confirm that this address is yours, open this link within 24 hours and press Confirm:',
      link,
      '',
      'If you did not create this account, do not confirm it. You can take it over by resetting its password instead.',
    ],
  },
  reset_password: {
    subject: 'Reset your Switchyard password',
    text: (_email, link) => [
      'Someone (we hope you) asked to reset the password of the Switchyard account with this address.',
      '',
      'To choose a new password, open this link within an hour:',
      link,
      '',
      'Setting a new password signs the account out everywhere. If you did not ask for this, ignore this email.',
    ],
  },
};

/**
 * Account mail: sends the one-time links that confirm an address (`sendVerification`, from the
 * account pages) and reset a password (`requestPasswordReset`, the signed-out "forgot password"
 * form). What following a link does is AccountLinksService's.
 */
@Injectable()
export class AccountEmailService {
  constructor(
    private readonly repo: UsersRepository,
    private readonly mailer: Mailer,
    private readonly limits: AccountLimits,
    private readonly links: OneTimeLinks,
  ) {}

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
    await this.limits.verificationMail(userId);
    return this.mailer.send(await this.linkMail(user, 'verify_email'));
  }

  /**
   * Mails a reset link if an account has this address. Answers the same, and in about the same
   * time (the mail is sent after answering), whether or not it has, so the form cannot be used to
   * find accounts; a mail that fails is logged by the Mailer, not reported. Limited to 3 an hour per address and email, 20 per address.
   */
  async requestPasswordReset(r: PasswordResetRequest): Promise<void> {
    const email = normaliseEmail(r.email);
    await this.limits.resetMail(r.clientIp, email);
    const user = email.length <= 254 && this.mailer.delivers ? await this.repo.findByEmail(email) : null;
    if (!user) return;
    const mail = await this.linkMail(user, 'reset_password');
    // Not awaited, so the answer takes no longer for a real account than for an unknown address.
    void this.mailer.send(mail);
  }

  /** Makes a link for the user's address and the mail that carries it. */
  private async linkMail(user: { id: string; email: string }, purpose: EmailTokenPurpose): Promise<MailMessage> {
    const link = await this.links.issue(user, purpose);
    const { subject, text } = LINK_MAILS[purpose];
    return { to: user.email, subject, text: text(user.email, link).join('\n') };
  }
}
