import { Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AcceptsFormPosts } from '../common/http/http-app';
import { single } from '../oauth/authorization-params';
import { FormCsrf } from './form-csrf';
import { Html } from './html';
import { sendPage, sendSeeOther } from './page-reply';
import { AccountFormView, CONSENT_JS, errorPage, signInPage, signUpPage, SITE_CSS } from './pages';
import { safeReturnTo } from './return-to';
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

  @Get('assets/web.css')
  css(@Res() reply: FastifyReply): void {
    void reply.header('content-type', 'text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(SITE_CSS);
  }

  @Get('assets/consent.js')
  consentJs(@Res() reply: FastifyReply): void {
    void reply.header('content-type', 'text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(CONSENT_JS);
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

  private csrfOk(req: FastifyRequest, reply: FastifyReply): boolean {
    if (this.csrf.verify(req.headers.cookie, single(req.body, 'csrf_token'))) return true;
    sendPage(reply, errorPage('Form expired', 'This form expired or was not sent from this site. Go back, reload the page and try again.'), {
      status: 403,
    });
    return false;
  }

  private finish(reply: FastifyReply, req: FastifyRequest, outcome: AccountOutcome, page: (v: AccountFormView) => Html): void {
    if (outcome.ok) {
      sendSeeOther(reply, outcome.location, [outcome.setCookie]);
      return;
    }
    this.form(reply, req, page, { returnTo: outcome.returnTo, email: outcome.email, name: outcome.name, error: outcome.error }, outcome.status);
  }
}
