import { Injectable } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { Clock } from '../../common/clock/clock';
import { AppConfig } from '../../common/config/app-config';
import { randomToken, sha256Hex } from '../../common/crypto/tokens';
import { rateLimitError } from '../../common/errors/rate-limit-error';
import { safeReturnTo } from '../../common/html/return-to';
import { readCookie, serializeCookie } from '../../common/http/cookies';
import { RateLimiter } from '../../common/redis/rate-limiter';
import { RedisService } from '../../common/redis/redis.service';
import { SessionsService } from '../sessions.service';
import { UsersErrors } from '../users.errors';
import { UsersService } from '../users.service';
import { OidcClient } from './oidc.client';

/** Binds a sign-in attempt to the browser that started it. */
export const OIDC_COOKIE = 'sy_oidc';
const OIDC_COOKIE_PATH = '/auth/oidc';
const ATTEMPT_TTL_SECONDS = 600;
const TEN_MINUTES = 600_000;

interface Attempt {
  codeVerifier: string;
  nonce: string;
  returnTo: string;
  /** SHA-256 of the `sy_oidc` cookie value. */
  binding: string;
}

export interface OidcCallbackParams {
  code?: string;
  state?: string;
  error?: string;
  error_description?: string;
  iss?: string;
  session_state?: string;
}

export interface OidcRedirect {
  location: string;
  setCookies: string[];
}

/** "Sign in with <provider>": authorization code flow with PKCE, state and nonce. */
@Injectable()
export class OidcSignInService {
  constructor(
    private readonly config: AppConfig,
    private readonly redis: RedisService,
    private readonly limiter: RateLimiter,
    private readonly clock: Clock,
    private readonly client: OidcClient,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
  ) {}

  /** Stores a new attempt and answers where to send the browser, with the binding cookie. */
  async start(returnTo: unknown, clientIp: string): Promise<OidcRedirect> {
    this.requireConfigured();
    // Every start stores an attempt for ten minutes; unauthenticated writes need a ceiling.
    const decision = await this.limiter.hit([
      { name: 'oidc-start-per-ip', subject: clientIp, max: 60, windowMs: TEN_MINUTES },
    ]);
    if (decision.allowed === 'unknown') throw UsersErrors.signInUnavailable();
    if (!decision.allowed) {
      throw rateLimitError(decision.blockedBy, this.clock.nowMs(), 'Too many sign-in attempts; try again later');
    }

    const request = OidcClient.generateRequest();
    const location = await this.client.authorizationUrl(request);
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
    return {
      location,
      setCookies: [this.bindingCookie(binding, ATTEMPT_TTL_SECONDS)],
    };
  }

  /** Completes an attempt (each one at most once); answers the session cookie and where to go. */
  async callback(
    query: OidcCallbackParams,
    cookieHeader: string | undefined,
    userAgent: string | undefined,
  ): Promise<OidcRedirect> {
    const oidc = this.requireConfigured();
    if (!query.state) throw UsersErrors.oidcFailed('the callback carries no state');
    const attempt = await this.take(query.state);
    if (!attempt) throw UsersErrors.oidcFailed('unknown or expired sign-in attempt; start again');
    const binding = readCookie(cookieHeader, OIDC_COOKIE);
    if (!binding || !sameHex(sha256Hex(binding), attempt.binding)) {
      throw UsersErrors.oidcFailed('the sign-in was not started in this browser; start again');
    }

    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      if (typeof value === 'string') params.set(name, value);
    }
    const identity = await this.client.exchange({
      params,
      expectedState: query.state,
      expectedNonce: attempt.nonce,
      codeVerifier: attempt.codeVerifier,
    });
    const user = await this.users.findOrCreateFromIdentity({
      issuer: oidc.issuer,
      subject: identity.subject,
      email: identity.email,
      emailVerified: identity.emailVerified,
      name: identity.name,
    });
    const session = await this.sessions.start(user.id, userAgent);
    return { location: attempt.returnTo, setCookies: [session, this.bindingCookie('', 0)] };
  }

  private requireConfigured(): NonNullable<AppConfig['oidc']> {
    if (!this.config.oidc) throw UsersErrors.oidcNotConfigured();
    return this.config.oidc;
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
