import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock/clock';
import { AppConfig } from '../common/config/app-config';
import { randomToken, sha256Hex } from '../common/crypto/tokens';
import { EmailTokenPurpose } from './entities/email-token.entity';
import { UsersRepository } from './users.repository';

const HOUR = 3_600_000;
/** How long a link works: a day to confirm an address, an hour to reset a password. */
const LIFETIME_MS: Record<EmailTokenPurpose, number> = { verify_email: 24 * HOUR, reset_password: HOUR };
/** The page each link opens. */
const PAGE: Record<EmailTokenPurpose, string> = { verify_email: '/verify-email', reset_password: '/reset-password' };
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** What a link in an account mail is for, for the page that lands it (no secret in it). */
export interface LinkInfo {
  email: string;
}

/** A link that was used: whose it was and the address it was sent to. */
export interface UsedLink {
  userId: string;
  email: string;
}

/**
 * The one-time links of account mails. A link carries a 256-bit random token; only its SHA-256 is
 * stored, each works once, for a limited time, and only for the purpose it was made for.
 */
@Injectable()
export class OneTimeLinks {
  constructor(
    private readonly repo: UsersRepository,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /** Makes a link for the user's current address; answers its URL. */
  async issue(user: { id: string; email: string }, purpose: EmailTokenPurpose): Promise<string> {
    const token = randomToken();
    await this.repo.insertEmailToken({
      tokenHash: sha256Hex(token),
      userId: user.id,
      purpose,
      email: user.email,
      expiresAt: new Date(this.clock.nowMs() + LIFETIME_MS[purpose]),
    });
    return `${this.config.http.publicUrl}${PAGE[purpose]}?token=${token}`;
  }

  /** Uses a link up; null when it is unknown, expired, used or made for something else. */
  use(purpose: EmailTokenPurpose, token: string): Promise<UsedLink | null> {
    return TOKEN_SHAPE.test(token) ? this.repo.consumeEmailToken(purpose, sha256Hex(token), this.clock.now()) : Promise.resolve(null);
  }

  /** Whether a link still works, without using it: what the landing page shows. */
  async check(purpose: EmailTokenPurpose, token: string): Promise<LinkInfo | null> {
    if (!TOKEN_SHAPE.test(token)) return null;
    const live = await this.repo.findLiveEmailToken(purpose, sha256Hex(token), this.clock.now());
    return live ? { email: live.email } : null;
  }

  /** Ends the user's other links of this purpose. */
  retire(userId: string, purpose: EmailTokenPurpose): Promise<void> {
    return this.repo.retireEmailTokens(userId, purpose, this.clock.now());
  }
}
