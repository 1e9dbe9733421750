import { Injectable } from '@nestjs/common';
import { AppError } from '../common/errors/app-error';
import { AppLogger } from '../common/logging/app-logger';
import { AccountLimits } from './account-limits';
import { UserDto } from './dto/user.dto';
import { PasswordHasher } from './password-hasher';
import { UsersErrors } from './users.errors';
import { UsersRepository } from './users.repository';
import { AccountEmailService } from './account-email.service';
import { normaliseEmail, toUserDto } from './user-shapes';

export interface NewUser {
  email: string;
  password?: string;
  name?: string | null;
  emailVerified?: boolean;
}

export interface ExternalIdentity {
  issuer: string;
  subject: string;
  email: string;
  emailVerified: boolean;
  name?: string | null;
}

@Injectable()
export class UsersService {
  private readonly log: AppLogger;

  constructor(
    private readonly repo: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly limits: AccountLimits,
    private readonly accountEmail: AccountEmailService,
    logger: AppLogger,
  ) {
    this.log = logger.child({ component: 'users' });
  }

  /**
   * Sign-up by a client (the API or the form): limited per client address, since each one costs a
   * scrypt hash and an account row. While Redis is unreachable sign-up is refused, as sign-in is.
   */
  async signUp(input: NewUser, clientIp: string): Promise<UserDto> {
    await this.limits.signUp(clientIp);
    const user = await this.create(input);
    // Not awaited: the account works unconfirmed, the user can ask for another link, and a slow
    // mail server must not hold up sign-up (Mailer.send never throws; this catches the rest).
    void this.accountEmail
      .sendVerification(user.id)
      .catch((err: unknown) => this.log.warn({ err: (err as Error).message, userId: user.id }, 'confirmation email not sent'));
    return user;
  }

  async create(input: NewUser): Promise<UserDto> {
    const email = normaliseEmail(input.email);
    // Checked on the stored form: a longer one would fail the insert (a 500 naming the row).
    if (email.length > 254) throw UsersErrors.emailTooLong();
    const user = await this.repo.insert({
      email,
      passwordHash: input.password ? await this.hasher.hash(input.password) : null,
      emailVerified: input.emailVerified ?? false,
      displayName: input.name ?? null,
    });
    if (!user) throw UsersErrors.emailTaken();
    return toUserDto(user);
  }

  /**
   * Checks a password. Attempts are limited per (client address, email) and per client address (in
   * Redis; while Redis is unreachable sign-in is refused rather than left unlimited): AccountLimits.
   */
  async verifyPassword(email: string, password: string, clientIp: string): Promise<UserDto> {
    const normalised = normaliseEmail(email);
    await this.limits.signIn(clientIp, normalised);
    const user = await this.repo.findByEmail(normalised);
    if (!user?.passwordHash) {
      await this.hasher.burn(password);
      throw UsersErrors.badCredentials();
    }
    if (!(await this.hasher.verify(password, user.passwordHash))) throw UsersErrors.badCredentials();
    return toUserDto(user);
  }

  async get(id: string): Promise<UserDto> {
    const user = await this.repo.findById(id);
    if (!user) throw new AppError('not_found', 'User not found');
    return toUserDto(user);
  }

  async findByEmail(email: string): Promise<UserDto | null> {
    const user = await this.repo.findByEmail(email);
    return user ? toUserDto(user) : null;
  }

  /**
   * The user behind an external identity: the linked one, else the account with the same email if
   * both sides verified it (linked now), else a new account. An email the provider did not verify
   * never links (anyone who can claim an address there would take the account over), and neither
   * does an account here whose address was never confirmed (anyone can sign up with any address).
   */
  async findOrCreateFromIdentity(id: ExternalIdentity): Promise<UserDto> {
    const linked = await this.repo.findIdentity(id.issuer, id.subject);
    if (linked) return this.get(linked.userId);
    if (!id.emailVerified) throw UsersErrors.oidcFailed('the provider did not confirm that the email address is verified');
    let user = await this.repo.findByEmail(id.email);
    if (!user) {
      user = await this.repo.insert({ email: id.email, passwordHash: null, emailVerified: true, displayName: id.name ?? null });
      // Lost a race with a concurrent first sign-in of the same person: use the row that won.
      user ??= await this.repo.findByEmail(id.email);
      if (!user) throw new Error('user vanished while signing in');
    } else if (!user.emailVerified) {
      // Anyone can sign up with someone else's address. Linking would hand the owner's identity to
      // that account, whose password the squatter knows (pre-hijacking): the owner must first prove
      // the address here (the confirmation link, or a password reset, which ends the squatter's
      // sessions and keys).
      throw UsersErrors.unverifiedAccountExists();
    }
    await this.repo.linkIdentity({ issuer: id.issuer, subject: id.subject, userId: user.id, email: id.email.toLowerCase() });
    const winner = await this.repo.findIdentity(id.issuer, id.subject);
    return this.get(winner?.userId ?? user.id);
  }

  /**
   * Changes the password. An account with a password must give it (limited like sign-in); an
   * account made through single sign-on sets its first one.
   */
  async changePassword(change: { userId: string; current: string; next: string; clientIp: string }): Promise<void> {
    const user = await this.repo.findById(change.userId);
    if (!user) throw new AppError('not_found', 'User not found');
    if (change.next.length < 10 || change.next.length > 256) throw UsersErrors.weakPassword();
    if (user.passwordHash) await this.verifyPassword(user.email, change.current, change.clientIp);
    await this.repo.setPasswordHash(user.id, await this.hasher.hash(change.next));
  }

  async identities(userId: string): Promise<LinkedIdentity[]> {
    return (await this.repo.listIdentities(userId)).map((i) => ({ issuer: i.issuer, email: i.email, linkedAt: i.createdAt.toISOString() }));
  }

  /** Whether the account has a password (accounts made through single sign-on may not). */
  async hasPassword(userId: string): Promise<boolean> {
    return (await this.repo.findById(userId))?.passwordHash != null;
  }
}

export interface LinkedIdentity {
  issuer: string;
  email: string;
  linkedAt: string;
}
