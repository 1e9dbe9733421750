import { Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorPage } from '../common/html/card-page';
import { FormCsrf } from '../common/html/form-csrf';
import { Html } from '../common/html/html';
import { sendPage, sendSeeOther } from '../common/html/page-reply';
import { safeReturnTo } from '../common/html/return-to';
import { single } from '../common/http/form-params';
import { AcceptsFormPosts } from '../common/http/http-app';
import {
  AccountFormView,
  EmailLinkView,
  forgotPasswordPage,
  noticePage,
  resetPasswordPage,
  signInPage,
  signUpPage,
  verifyEmailPage,
} from './pages';
import { AccountOutcome, WebAccountsService } from './web-accounts.service';

/** Server-rendered sign-in and sign-up: the first pages of the end-user site. */
@Controller()
export class WebController {
  constructor(
    private readonly accounts: WebAccountsService,
    private readonly csrf: FormCsrf,
  ) {}

  @Get('sign-in')
  signInForm(@Query() query: Record<string, unknown>, @Req() req: FastifyRequest, @Res() reply: FastifyReply): void {
    this.form(reply, req, signInPage, { returnTo: safeReturnTo(single(query, 'return_to')) });
  }

  @Post('sign-in')
  @AcceptsFormPosts()
  async signIn(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    if (!this.csrfOk(req, reply)) return;
    const outcome = await this.accounts.signIn({ form: req.body, ip: req.ip, userAgent: req.headers['user-agent'] });
    this.finish(reply, req, outcome, signInPage);
  }

  @Get('sign-up')
  signUpForm(@Query() query: Record<string, unknown>, @Req() req: FastifyRequest, @Res() reply: FastifyReply): void {
    this.form(reply, req, signUpPage, { returnTo: safeReturnTo(single(query, 'return_to')) });
  }

  @Post('sign-up')
  @AcceptsFormPosts()
  async signUp(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    if (!this.csrfOk(req, reply)) return;
    const outcome = await this.accounts.signUp({ form: req.body, ip: req.ip, userAgent: req.headers['user-agent'] });
    this.finish(reply, req, outcome, signUpPage);
  }

  @Get('forgot-password')
  forgotPasswordForm(@Req() req: FastifyRequest, @Res() reply: FastifyReply): void {
    this.page(reply, req, (csrfToken) => forgotPasswordPage({ csrfToken }));
  }

  @Post('forgot-password')
  @AcceptsFormPosts()
  async forgotPassword(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    if (!this.csrfOk(req, reply)) return;
    const outcome = await this.accounts.forgotPassword({ form: req.body, ip: req.ip, userAgent: req.headers['user-agent'] });
    if (outcome.ok) {
      sendPage(
        reply,
        noticePage(
          'Check your email',
          'If an account has this address, we sent it a link to choose a new password. The link works for an hour.',
          { href: '/sign-in', label: 'Back to sign in' },
        ),
      );
      return;
    }
    const email = single(req.body, 'email');
    this.page(
      reply,
      req,
      (csrfToken) => forgotPasswordPage({ csrfToken, email: typeof email === 'string' ? email.slice(0, 254) : '', error: outcome.error }),
      outcome.status,
    );
  }

  @Get('reset-password')
  async resetPasswordForm(@Query() query: Record<string, unknown>, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.linkPage(reply, req, { purpose: 'reset_password', token: single(query, 'token'), page: resetPasswordPage });
  }

  @Post('reset-password')
  @AcceptsFormPosts()
  async resetPassword(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    if (!this.csrfOk(req, reply)) return;
    const outcome = await this.accounts.resetPassword({ form: req.body, ip: req.ip, userAgent: req.headers['user-agent'] });
    if (outcome.ok) {
      sendPage(
        reply,
        noticePage(
          'Password changed',
          'Your new password is set and the account was signed out everywhere. Sign in with the new password.',
          { href: '/sign-in', label: 'Sign in' },
        ),
      );
      return;
    }
    await this.linkPage(reply, req, {
      purpose: 'reset_password',
      token: single(req.body, 'token'),
      page: resetPasswordPage,
      error: outcome.error,
      status: outcome.status,
    });
  }

  @Get('verify-email')
  async verifyEmailForm(@Query() query: Record<string, unknown>, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.linkPage(reply, req, { purpose: 'verify_email', token: single(query, 'token'), page: verifyEmailPage });
  }

  @Post('verify-email')
  @AcceptsFormPosts()
  async verifyEmail(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    if (!this.csrfOk(req, reply)) return;
    const outcome = await this.accounts.verifyEmail({ form: req.body, ip: req.ip, userAgent: req.headers['user-agent'] });
    if (outcome.ok) {
      sendPage(reply, noticePage('Address confirmed', 'Thank you: your email address is confirmed.', { href: '/', label: 'Continue' }));
      return;
    }
    sendPage(reply, errorPage('Link not valid', outcome.error), { status: outcome.status });
  }

  private form(
    reply: FastifyReply,
    req: FastifyRequest,
    page: (v: AccountFormView) => Html,
    view: Omit<AccountFormView, 'csrfToken'>,
    status = 200,
  ): void {
    const { token, setCookie } = this.csrf.issue(req.headers.cookie);
    sendPage(reply, page({ ...view, csrfToken: token }), { status, setCookies: setCookie ? [setCookie] : [] });
  }

  /** A page with a form that needs the CSRF cookie. */
  private page(reply: FastifyReply, req: FastifyRequest, render: (csrfToken: string) => Html, status = 200): void {
    const { token, setCookie } = this.csrf.issue(req.headers.cookie);
    sendPage(reply, render(token), { status, setCookies: setCookie ? [setCookie] : [] });
  }

  /** The landing page of an emailed link, or an error page when the link no longer works. */
  private async linkPage(
    reply: FastifyReply,
    req: FastifyRequest,
    v: { purpose: 'verify_email' | 'reset_password'; token: unknown; page: (view: EmailLinkView) => Html; error?: string; status?: number },
  ): Promise<void> {
    const link = await this.accounts.checkLink(v.purpose, v.token);
    if (!link) {
      const again = v.purpose === 'reset_password' ? ' Ask for a new one from "Forgot your password?".' : ' Sign in to ask for a new one.';
      sendPage(reply, errorPage('Link not valid', `This link is invalid, expired or already used.${again}`), { status: 400 });
      return;
    }
    this.page(reply, req, (csrfToken) => v.page({ csrfToken, token: v.token as string, email: link.email, error: v.error }), v.status);
  }

  private csrfOk(req: FastifyRequest, reply: FastifyReply): boolean {
    if (this.csrf.verify(req.headers.cookie, single(req.body, 'csrf_token'))) return true;
    sendPage(
      reply,
      errorPage('Form expired', 'This form expired or was not sent from this site. Go back, reload the page and try again.'),
      {
        status: 403,
      },
    );
    return false;
  }

  private finish(reply: FastifyReply, req: FastifyRequest, outcome: AccountOutcome, page: (v: AccountFormView) => Html): void {
    if (outcome.ok) {
      sendSeeOther(reply, outcome.location, [outcome.setCookie]);
      return;
    }
    this.form(
      reply,
      req,
      page,
      { returnTo: outcome.returnTo, email: outcome.email, name: outcome.name, error: outcome.error },
      outcome.status,
    );
  }
}
