import { Controller, Get, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../common/errors/app-error';
import { AcceptsFormPosts } from '../common/http/http-app';
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
      if (next !== field(req.body, 'confirm_password')) return this.page(c, 'The new passwords do not match.');
      try {
        await this.users.changePassword({ userId: c.session.userId, current: field(req.body, 'current_password'), next, clientIp: req.ip });
      } catch (err) {
        if (!(err instanceof AppError) || err.status >= 500) throw err;
        return this.page(c, err.status === 401 ? 'The current password is not right.' : err.message);
      }
      await this.sessions.endAll(c.session, true);
      sendSeeOther(reply, '/settings?done=password-changed');
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

  private async page(c: ConsoleRequest<SessionPrincipal>, error?: string) {
    return { nav: 'settings' as const, title: 'Settings', view: 'settings', notices: SETTINGS_NOTICES, status: error ? 400 : 200, error, data: await this.console.settings(c.session) };
  }
}
