import { Controller, Get, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../common/errors/app-error';
import { AcceptsFormPosts } from '../common/http/http-app';
import { AccountEmailService } from '../users/account-email.service';
import { SessionsService } from '../users/sessions.service';
import { UsersService } from '../users/users.service';
import { ConsolePages, ConsoleRequest } from '../common/html/console-pages';
import { sendSeeOther } from '../common/html/page-reply';
import { field } from '../common/http/form-dto';
import type { SessionPrincipal } from '../users/sessions.service';
import { ConsoleService } from './console.service';
import { SETTINGS_NOTICES } from './notices';

/** Settings (email, password, linked sign-in providers, sessions) and signing out. */
@Controller()
export class ConsoleSettingsController {
  constructor(
    private readonly pages: ConsolePages<SessionPrincipal>,
    private readonly console: ConsoleService,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly accountEmail: AccountEmailService,
  ) {}

  @Get('settings')
  async settings(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const c = await this.pages.open(req, reply);
    if (c) await this.pages.run(c, 'settings', () => this.page(c));
  }

  @Post('settings/password')
  @AcceptsFormPosts()
  async password(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const c = await this.pages.openForm(req, reply);
    if (!c) return;
    await this.pages.run(c, 'settings', async () => {
      const next = field(req.body, 'new_password');
      if (next !== field(req.body, 'confirm_password')) return this.page(c, { error: 'The new passwords do not match.' });
      try {
        await this.users.changePassword({ userId: c.session.userId, current: field(req.body, 'current_password'), next, clientIp: req.ip });
      } catch (err) {
        if (!(err instanceof AppError) || err.status >= 500) throw err;
        return this.page(c, { error: err.status === 401 ? 'The current password is not right.' : err.message });
      }
      await this.sessions.endAll(c.session, true);
      sendSeeOther(reply, '/settings?done=password-changed');
    });
  }

  /** Sends (again) the link confirming the user's address, and says on the page what became of it. */
  @Post('settings/email-verification')
  @AcceptsFormPosts()
  async sendVerification(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const c = await this.pages.openForm(req, reply);
    if (!c) return;
    await this.pages.run(c, 'settings', async () => {
      let outcome: Awaited<ReturnType<AccountEmailService['sendVerification']>>;
      try {
        outcome = await this.accountEmail.sendVerification(c.session.userId);
      } catch (err) {
        // Too many mails: the same page, with the limit's Retry-After, rather than an error page.
        if (!(err instanceof AppError) || err.code !== 'rate_limit_exceeded') throw err;
        for (const [name, value] of Object.entries(err.headers)) reply.header(name, value);
        return this.page(c, { error: err.message, status: err.status });
      }
      const { email } = await this.users.get(c.session.userId);
      switch (outcome) {
        case 'sent':
          return this.page(c, { notice: `We sent a confirmation link to ${email}. It works for 24 hours.` });
        case 'logged':
          return this.page(c, {
            notice: 'No mail server is configured; in development the confirmation link is written to the server log.',
          });
        case 'already_verified':
          return this.page(c, { notice: 'Your address is already verified.' });
        case 'not_configured':
          // Retrying cannot help until an operator sets SMTP_URL, so no Retry-After.
          return this.page(c, {
            error:
              'This server is not set up to send email, so your address cannot be confirmed by link. Ask its operator to configure mail.',
            status: 503,
          });
        case 'failed':
          reply.header('retry-after', '60');
          return this.page(c, { error: 'The mail server did not take the message. Try again in a minute.', status: 503 });
      }
    });
  }

  @Post('settings/sign-out-others')
  @AcceptsFormPosts()
  async signOutOthers(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const c = await this.pages.openForm(req, reply);
    if (!c) return;
    await this.sessions.endAll(c.session, true);
    sendSeeOther(reply, '/settings?done=signed-out-others');
  }

  @Post('settings/sign-out-everywhere')
  @AcceptsFormPosts()
  async signOutEverywhere(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const c = await this.pages.openForm(req, reply);
    if (!c) return;
    await this.sessions.endAll(c.session);
    sendSeeOther(reply, '/sign-in', [this.sessions.clearingCookie()]);
  }

  @Post('sign-out')
  @AcceptsFormPosts()
  async signOut(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const c = await this.pages.openForm(req, reply);
    if (!c) return;
    sendSeeOther(reply, '/sign-in', [await this.sessions.end(req.headers.cookie)]);
  }

  private async page(c: ConsoleRequest<SessionPrincipal>, outcome: { error?: string; notice?: string; status?: number } = {}) {
    const status = outcome.status ?? (outcome.error ? 400 : 200);
    return {
      nav: 'settings' as const,
      title: 'Settings',
      view: 'settings',
      notices: SETTINGS_NOTICES,
      status,
      error: outcome.error,
      notice: outcome.notice,
      data: await this.console.settings(c.session),
    };
  }
}
