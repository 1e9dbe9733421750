import { Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConsolePages, ConsoleRequest, Shown } from '../common/html/console-pages';
import { sendSeeOther } from '../common/html/page-reply';
import { resetField, usdField, validateForm } from '../common/http/form-dto';
import { AcceptsFormPosts } from '../common/http/http-app';
import { UpdateKeyDto } from '../keys/dto/update-key.dto';
import type { SessionPrincipal } from '../users/sessions.service';
import { AppsService } from './apps.service';

/** What a redirect back to the Apps page may report (`?done=`): fixed text, never text from the URL. */
const APPS_NOTICES: Record<string, string> = {
  'app-cap': "The app's limit was changed.",
  'app-revoked': "The app's keys were revoked; they stop working within a second.",
};

/**
 * The console's Apps page: the apps the user authorized with what they spent, changing an app's
 * limit, revoking an app. Rendered in the console's layout like web's pages.
 */
@Controller()
export class AppsPageController {
  constructor(
    private readonly pages: ConsolePages<SessionPrincipal>,
    private readonly apps: AppsService,
  ) {}

  @Get('apps')
  async list(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const c = await this.pages.open(req, reply);
    if (c) await this.pages.run(c, 'apps', () => this.page(c));
  }

  @Post('apps/:id/cap')
  @AcceptsFormPosts()
  async setCap(@Param('id') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const c = await this.pages.openForm(req, reply);
    if (!c) return;
    await this.pages.run(c, 'apps', async () => {
      const dto = await validateForm(UpdateKeyDto, {
        limit: usdField(req.body, 'limit'),
        limit_reset: resetField(req.body, 'limit_reset'),
      });
      if (!dto.ok) return this.page(c, { status: 400, error: dto.message });
      await this.apps.setCap(c.session, id, { limit: dto.value.limit ?? null, limitReset: dto.value.limit_reset ?? null });
      sendSeeOther(reply, '/apps?done=app-cap');
    });
  }

  @Post('apps/:id/revoke')
  @AcceptsFormPosts()
  async revoke(@Param('id') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const c = await this.pages.openForm(req, reply);
    if (!c) return;
    await this.pages.run(c, 'apps', async () => {
      await this.apps.revokeAuthorized(c.session.userId, id);
      sendSeeOther(reply, '/apps?done=app-revoked');
    });
  }

  private async page(c: ConsoleRequest<SessionPrincipal>, problem: { status?: number; error?: string } = {}): Promise<Shown> {
    const apps = await this.apps.authorized(c.session.userId);
    return { nav: 'apps', title: 'Authorized apps', view: 'apps', notices: APPS_NOTICES, ...problem, data: { apps } };
  }
}
