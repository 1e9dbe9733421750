import { Injectable } from '@nestjs/common';
import { isEmail } from 'class-validator';
import { isStorableText } from '../common/database/text';
import { AppError } from '../common/errors/app-error';
import { safeReturnTo } from '../common/html/return-to';
import { REPEATED, single } from '../common/http/form-params';
import { AccountEmailService } from '../users/account-email.service';
import { AccountLinksService, LinkInfo } from '../users/account-links.service';
import { SessionsService } from '../users/sessions.service';
import { UsersService } from '../users/users.service';

export interface AccountRequest {
  form: unknown;
  ip: string;
  userAgent: string | undefined;
}

/** What a form of the emailed-link pages leads to: a notice, or the form again with an error. */
export type LinkFormOutcome = { ok: true } | { ok: false; status: number; error: string };

export type AccountOutcome =
  | { ok: true; location: string; setCookie: string }
  | { ok: false; status: number; error: string; email: string; name?: string; returnTo: string };

const text = (form: unknown, name: string): string => {
  const v = single(form, name);
  return v === undefined || v === REPEATED ? '' : v;
};

/** The sign-in and sign-up forms: the same services as the JSON API, answers for a browser. */
@Injectable()
export class WebAccountsService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly accountEmail: AccountEmailService,
    private readonly accountLinks: AccountLinksService,
  ) {}

  /** "Forgot password": the same answer whether or not the address has an account. */
  async forgotPassword(r: AccountRequest): Promise<LinkFormOutcome> {
    const email = text(r.form, 'email').trim();
    if (!isStorableText(email) || email.length > 254 || !isEmail(email))
      return { ok: false, status: 400, error: 'Enter a valid email address.' };
    try {
      await this.accountEmail.requestPasswordReset({ email, clientIp: r.ip });
      return { ok: true };
    } catch (err) {
      return this.failure(err);
    }
  }

  async resetPassword(r: AccountRequest): Promise<LinkFormOutcome> {
    const password = text(r.form, 'password');
    if (!isStorableText(password) || password.length < 10 || password.length > 256)
      return { ok: false, status: 400, error: 'The password must have 10 to 256 characters.' };
    try {
      await this.accountLinks.resetPassword({ token: text(r.form, 'token'), password });
      return { ok: true };
    } catch (err) {
      return this.failure(err);
    }
  }

  async verifyEmail(r: AccountRequest): Promise<LinkFormOutcome> {
    try {
      await this.accountLinks.verifyEmail(text(r.form, 'token'));
      return { ok: true };
    } catch (err) {
      return this.failure(err);
    }
  }

  /** Whether an emailed link still works, for its landing page. */
  checkLink(purpose: 'verify_email' | 'reset_password', token: unknown): Promise<LinkInfo | null> {
    return typeof token === 'string' ? this.accountLinks.checkLink(purpose, token) : Promise.resolve(null);
  }

  async signIn(r: AccountRequest): Promise<AccountOutcome> {
    const email = text(r.form, 'email').trim().slice(0, 254);
    const returnTo = safeReturnTo(single(r.form, 'return_to'));
    const password = text(r.form, 'password');
    if (!email || !password || password.length > 256 || !isStorableText(email) || !isStorableText(password)) {
      return { ok: false, status: 400, error: 'Enter your email and password.', email, returnTo };
    }
    try {
      const user = await this.users.verifyPassword(email, password, r.ip);
      return { ok: true, location: returnTo, setCookie: await this.sessions.start(user.id, r.userAgent) };
    } catch (err) {
      return { ...this.failure(err), email, returnTo };
    }
  }

  async signUp(r: AccountRequest): Promise<AccountOutcome> {
    const email = text(r.form, 'email').trim();
    const name = text(r.form, 'name').trim();
    const password = text(r.form, 'password');
    const returnTo = safeReturnTo(single(r.form, 'return_to'));
    const fail = (error: string) => ({
      ok: false as const,
      status: 400,
      error,
      email: email.slice(0, 254),
      name: name.slice(0, 100),
      returnTo,
    });
    // Checked first: validator.js's isEmail throws on a lone surrogate, and Postgres cannot store NUL.
    if (![email, name, password].every(isStorableText))
      return fail('The form contains characters that cannot be stored (NUL or unpaired surrogates).');
    if (email.length > 254 || !isEmail(email)) return fail('Enter a valid email address.');
    if (password.length < 10 || password.length > 256) return fail('The password must have 10 to 256 characters.');
    if (name.length > 100) return fail('The name may have at most 100 characters.');
    try {
      const user = await this.users.signUp({ email, password, name: name || null }, r.ip);
      return { ok: true, location: returnTo, setCookie: await this.sessions.start(user.id, r.userAgent) };
    } catch (err) {
      return { ...this.failure(err), email: email.slice(0, 254), name, returnTo };
    }
  }

  /** Typed errors become a message on the form; anything else is a real failure. */
  private failure(err: unknown): { ok: false; status: number; error: string } {
    if (!(err instanceof AppError) || (err.status >= 500 && err.code !== 'service_unavailable')) throw err;
    return { ok: false, status: err.status, error: err.message };
  }
}
