import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock/clock';
import { AppConfig } from '../common/config/app-config';
import { sha256Hex } from '../common/crypto/tokens';
import { AppError } from '../common/errors/app-error';
import { rateLimitError } from '../common/errors/rate-limit-error';
import { RateLimiter } from '../common/redis/rate-limiter';
import { UserDto } from './dto/user.dto';
import { UserEntity } from './entities/user.entity';
import { PasswordHasher } from './password-hasher';
import { UsersErrors } from './users.errors';
import { UsersRepository } from './users.repository';

const FIFTEEN_MINUTES = 15 * 60_000;
const ONE_HOUR = 60 * 60_000;

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
    private readonly config: AppConfig,
  ) {}

  /**
   * Sign-up by a client (the API or the form): limited per client address, since each one costs a
   * scrypt hash and an account row. While Redis is unreachable sign-up is refused, as sign-in is.
   */
  async signUp(input: NewUser, clientIp: string): Promise<UserDto> {
    const max = this.config.rateLimits.signUpsPerAddressPerHour;
    if (max > 0) {
      const decision = await this.limiter.hit([{ name: 'sign-up-per-ip', subject: clientIp, max, windowMs: ONE_HOUR }]);
      if (decision.allowed === 'unknown') throw UsersErrors.signInUnavailable();
      if (!decision.allowed) throw rateLimitError(decision.blockedBy, this.clock.nowMs(), 'Too many accounts created from this address; try again later');
    }
    return this.create(input);
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
   * Redis; while Redis is unreachable sign-in is refused rather than left unlimited). There is no
   * limit per email alone: anyone could use it to lock the owner out of their own account.
   */
  async verifyPassword(email: string, password: string, clientIp: string): Promise<UserDto> {
    const normalised = normaliseEmail(email);
    const decision = await this.limiter.hit([
      { name: 'sign-in-per-ip-and-email', subject: sha256Hex(`${clientIp} ${normalised}`), max: 10, windowMs: FIFTEEN_MINUTES },
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
}

/** Emails are compared and stored trimmed and lower-cased. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
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
