import { Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AcceptsFormPosts } from '../common/http/http-app';
import { CreateKeyDto } from '../keys/dto/create-key.dto';
import { UpdateCapsDto } from '../keys/dto/update-caps.dto';
import { UpdateKeyDto } from '../keys/dto/update-key.dto';
import { CapsService } from '../keys/caps.service';
import { KeysService } from '../keys/keys.service';
import { usdToNanos } from '../common/money/money';
import { ConsolePages, ConsoleRequest } from '../common/html/console-pages';
import { sendSeeOther } from '../common/html/page-reply';
import { field, resetField, usdField, validateForm } from '../common/http/form-dto';
import type { SessionPrincipal } from '../users/sessions.service';
import { CreditsPages } from './credits-pages';
import { UsagePages } from './usage-pages';
import { KEYS_NOTICES, LIMITS_NOTICES } from './notices';

/** Expiry typed as a date (YYYY-MM-DD) means the end of that UTC day; empty means never. */
function expiresOf(body: unknown): string | null {
  const v = field(body, 'expires_at').trim();
  if (v === '') return null;
  return /^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T23:59:59Z` : v;
}

/** The console's keys and limits forms, through the keys and caps services. */
@Controller()
export class ConsoleKeysController {
  constructor(
    private readonly pages: ConsolePages<SessionPrincipal>,
    private readonly creditsPages: CreditsPages,
    private readonly usagePages: UsagePages,
    private readonly keys: KeysService,
    private readonly caps: CapsService,
  ) {}

  @Get('keys')
  async list(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const c = await this.pages.open(req, reply);
    if (c) await this.pages.run(c, 'keys', () => this.keysPage(c));
  }

  @Post('keys')
  @AcceptsFormPosts()
  async create(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const c = await this.pages.openForm(req, reply);
    if (!c) return;
    await this.pages.run(c, 'keys', async () => {
      const form = {
        name: field(req.body, 'name'),
        limit: usdField(req.body, 'limit'),
        limit_reset: resetField(req.body, 'limit_reset'),
        expires_at: expiresOf(req.body),
      };
      const dto = await validateForm(CreateKeyDto, form);
      if (!dto.ok) return this.keysPage(c, { error: dto.message, status: 400, form });
      const created = await this.keys.create(c.session, dto.value);
      // The one response that carries the key: not cached, not in a URL, never shown again.
      return this.keysPage(c, { created: { key: created.key, name: created.data.name } });
    });
  }

  @Post('keys/:hash/rename')
  @AcceptsFormPosts()
  async rename(@Param('hash') hash: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.update(req, reply, hash, { name: field(req.body, 'name') }, 'key-renamed');
  }

  @Post('keys/:hash/disable')
  @AcceptsFormPosts()
  async disable(@Param('hash') hash: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.update(req, reply, hash, { disabled: true }, 'key-disabled');
  }

  @Post('keys/:hash/enable')
  @AcceptsFormPosts()
  async enable(@Param('hash') hash: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.update(req, reply, hash, { disabled: false }, 'key-enabled');
  }

  @Post('keys/:hash/delete')
  @AcceptsFormPosts()
  async remove(@Param('hash') hash: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const c = await this.pages.openForm(req, reply);
    if (!c) return;
    await this.pages.run(c, 'keys', async () => {
      await this.keys.remove(c.session, hash);
      sendSeeOther(reply, '/keys?done=key-deleted');
    });
  }

  @Post('limits')
  @AcceptsFormPosts()
  async setLimits(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const c = await this.pages.openForm(req, reply);
    if (!c) return;
    await this.pages.run(c, 'limits', async () => {
      const dto = await validateForm(UpdateCapsDto, {
        daily: usdField(req.body, 'daily'),
        weekly: usdField(req.body, 'weekly'),
        monthly: usdField(req.body, 'monthly'),
      });
      if (!dto.ok)
        return {
          nav: 'limits',
          title: 'Limits',
          view: 'limits',
          notices: LIMITS_NOTICES,
          status: 400,
          error: dto.message,
          data: await this.creditsPages.limits(c.session.userId),
        };
      const nanos = (v: number | null | undefined) => (v === undefined || v === null ? null : usdToNanos(v));
      await this.caps.setUserCaps(c.session.userId, {
        daily: nanos(dto.value.daily),
        weekly: nanos(dto.value.weekly),
        monthly: nanos(dto.value.monthly),
      });
      sendSeeOther(reply, '/limits?done=limits-saved');
    });
  }

  private async update(req: FastifyRequest, reply: FastifyReply, hash: string, form: Record<string, unknown>, done: string): Promise<void> {
    const c = await this.pages.openForm(req, reply);
    if (!c) return;
    await this.pages.run(c, 'keys', async () => {
      const dto = await validateForm(UpdateKeyDto, form);
      if (!dto.ok) return this.keysPage(c, { error: dto.message, status: 400 });
      await this.keys.update(c.session, hash, dto.value);
      sendSeeOther(reply, `/keys?done=${done}`);
    });
  }

  private async keysPage(
    c: ConsoleRequest<SessionPrincipal>,
    extra: { error?: string; status?: number; created?: { key: string; name: string }; form?: object } = {},
  ) {
    const data = await this.usagePages.keysPage(c.session);
    return {
      nav: 'keys' as const,
      title: 'API keys',
      view: 'keys',
      notices: KEYS_NOTICES,
      status: extra.status,
      error: extra.error,
      data: { ...data, created: extra.created ?? null, form: extra.form ?? {} },
    };
  }
}
