import { Injectable } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../../common/config/app-config';
import { randomToken, sha256Hex } from '../../common/crypto/tokens';
import { safeReturnTo } from '../../common/html/return-to';
import { readCookie, serializeCookie } from '../../common/http/cookies';
import { RedisService } from '../../common/redis/redis.service';
import { UsersErrors } from '../users.errors';
import { OidcAuthorizationRequest } from './oidc.client';

/** Binds a sign-in attempt to the browser that started it. */
export const OIDC_COOKIE = 'sy_oidc';
const OIDC_COOKIE_PATH = '/auth/oidc';
const ATTEMPT_TTL_SECONDS = 600;

export interface Attempt {
  codeVerifier: string;
  nonce: string;
  returnTo: string;
  /** SHA-256 of the `sy_oidc` cookie value. */
  binding: string;
}

/**
 * Sign-in attempts between the redirect to the provider and its callback: kept in Redis for ten
 * minutes under the state, bound to the starting browser by a cookie, redeemable once. While
 * Redis is unreachable single sign-on is refused (503).
 */
@Injectable()
export class OidcAttempts {
  constructor(
    private readonly redis: RedisService,
    private readonly config: AppConfig,
  ) {}

  /** Stores the attempt; answers the Set-Cookie value that binds it to this browser. */
  async open(request: OidcAuthorizationRequest, returnTo: unknown): Promise<string> {
    const binding = randomToken();
    const attempt: Attempt = {
      codeVerifier: request.codeVerifier,
      nonce: request.nonce,
      returnTo: safeReturnTo(returnTo),
      binding: sha256Hex(binding),
    };
    try {
      await this.redis.client.set(attemptKey(request.state), JSON.stringify(attempt), 'EX', ATTEMPT_TTL_SECONDS);
    } catch {
      throw UsersErrors.signInUnavailable();
    }
    return this.bindingCookie(binding, ATTEMPT_TTL_SECONDS);
  }

  /** The attempt of this state, started in the browser that sent this cookie; it cannot be redeemed again. */
  async redeem(state: string, cookieHeader: string | undefined): Promise<Attempt> {
    const attempt = await this.take(state);
    if (!attempt) throw UsersErrors.oidcFailed('unknown or expired sign-in attempt; start again');
    const binding = readCookie(cookieHeader, OIDC_COOKIE);
    if (!binding || !sameHex(sha256Hex(binding), attempt.binding)) {
      throw UsersErrors.oidcFailed('the sign-in was not started in this browser; start again');
    }
    return attempt;
  }

  /** The Set-Cookie value that removes the binding cookie. */
  clearCookie(): string {
    return this.bindingCookie('', 0);
  }

  /** Loads and deletes in one step, so a state can be redeemed only once. */
  private async take(state: string): Promise<Attempt | null> {
    let raw: string | null;
    try {
      raw = await this.redis.client.getdel(attemptKey(state));
    } catch {
      throw UsersErrors.signInUnavailable();
    }
    if (!raw) return null;
    try {
      const a = JSON.parse(raw) as Partial<Attempt>;
      if (
        typeof a.codeVerifier !== 'string' ||
        typeof a.nonce !== 'string' ||
        typeof a.returnTo !== 'string' ||
        typeof a.binding !== 'string'
      ) {
        return null;
      }
      return { codeVerifier: a.codeVerifier, nonce: a.nonce, returnTo: safeReturnTo(a.returnTo), binding: a.binding };
    } catch {
      return null;
    }
  }

  private bindingCookie(value: string, maxAgeSeconds: number): string {
    return serializeCookie(OIDC_COOKIE, value, {
      maxAgeSeconds,
      secure: this.config.sessions.secureCookie,
      path: OIDC_COOKIE_PATH,
      sameSite: 'Lax',
    });
  }
}

function attemptKey(state: string): string {
  return `oidc:attempt:${sha256Hex(state)}`;
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}
