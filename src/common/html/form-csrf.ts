import { Injectable } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { randomToken } from '../crypto/tokens';
import { readCookie, serializeCookie } from '../http/cookies';

const COOKIE = 'sy_form';
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * CSRF protection for the sign-in and sign-up forms (login CSRF would sign a victim into the
 * attacker's account right before a consent page): a double-submit token, the same random value
 * in an HttpOnly cookie and in a hidden field. The consent form has its own per-request token.
 */
@Injectable()
export class FormCsrf {
  constructor(private readonly config: AppConfig) {}

  /** The token for a form about to be rendered, and the cookie to set when there was none. */
  issue(cookieHeader: string | undefined): { token: string; setCookie?: string } {
    const existing = readCookie(cookieHeader, COOKIE);
    if (existing && TOKEN.test(existing)) return { token: existing };
    const token = randomToken();
    return {
      token,
      setCookie: serializeCookie(COOKIE, token, { maxAgeSeconds: 3600, secure: this.config.sessions.secureCookie }),
    };
  }

  verify(cookieHeader: string | undefined, submitted: unknown): boolean {
    const expected = readCookie(cookieHeader, COOKIE);
    if (!expected || !TOKEN.test(expected) || typeof submitted !== 'string' || !TOKEN.test(submitted)) return false;
    return timingSafeEqual(Buffer.from(expected), Buffer.from(submitted));
  }
}
