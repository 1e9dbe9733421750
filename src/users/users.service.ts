import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock/clock';
import { AppError } from '../common/errors/app-error';
import { rateLimitError } from '../common/errors/rate-limit-error';
import { RateLimiter } from '../common/redis/rate-limiter';
import { UserDto } from './dto/user.dto';
import { UserEntity } from './entities/user.entity';
import { PasswordHasher } from './password-hasher';
import { UsersErrors } from './users.errors';
import { UsersRepository } from './users.repository';

const FIFTEEN_MINUTES = 15 * 60_000;

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
  constructor(
    private readonly repo: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly limiter: RateLimiter,
    private readonly clock: Clock,
  ) {}

  async create(input: NewUser): Promise<UserDto> {
    const user = await this.repo.insert({
      email: input.email,
      passwordHash: input.password ? await this.hasher.hash(input.password) : null,
      emailVerified: input.emailVerified ?? false,
      displayName: input.name ?? null,
    });
    if (!user) throw UsersErrors.emailTaken();
    return toUserDto(user);
  }

  /**
   * Checks a password. Attempts are limited per email and per client address (in Redis; while Redis
   * is unreachable sign-in is refused rather than left unlimited).
   */
  async verifyPassword(email: string, password: string, clientIp: string): Promise<UserDto> {
    const normalised = email.trim().toLowerCase();
    const decision = await this.limiter.hit([
      { name: 'sign-in-per-email', subject: normalised, max: 10, windowMs: FIFTEEN_MINUTES },
      { name: 'sign-in-per-ip', subject: clientIp, max: 100, windowMs: FIFTEEN_MINUTES },
    ]);
    if (decision.allowed === 'unknown') throw UsersErrors.signInUnavailable();
    if (!decision.allowed) {
      throw rateLimitError(decision.blockedBy, this.clock.nowMs(), 'Too many sign-in attempts; try again later');
    }
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
   * The user behind an external identity: the linked one, else the account with the same verified
   * email (linked now), else a new account. An unverified email never links to an existing account,
   * which would let anyone who can claim an address at the provider take it over.
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
      await this.repo.markEmailVerified(user.id);
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

export function toUserDto(u: UserEntity): UserDto {
  return {
    id: u.id,
    email: u.email,
    email_verified: u.emailVerified,
    name: u.displayName,
    created_at: u.createdAt.toISOString(),
  };
}
