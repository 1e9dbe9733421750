import { Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AcceptsFormPosts } from '../common/http/http-app';
import { ConsolePages } from '../common/html/console-pages';
import { sendSeeOther } from '../common/html/page-reply';
import { field } from '../common/http/form-dto';
import { STRIPE_CHECKOUT_ORIGIN, TopupsService } from '../credits/topups/topups.service';
import type { SessionPrincipal } from '../users/sessions.service';
import { ConsoleService } from './console.service';
import { CreditsPages } from './credits-pages';
import { ActivityView, LogsQuery, UsagePages } from './usage-pages';
import { LIMITS_NOTICES } from './notices';

type Q = Record<string, unknown>;
const str = (q: Q, name: string): string | undefined => (typeof q[name] === 'string' ? (q[name] as string) : undefined);
const oneOf = <T extends string>(v: string | undefined, options: readonly T[], fallback: T): T =>
  options.includes(v as T) ? (v as T) : fallback;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** A UTC day as YYYY-MM-DD that exists (2026-02-30 does not); else undefined, as if not given. */
function day(v: string | undefined): string | undefined {
  const at = v !== undefined && DAY.test(v) ? Date.parse(`${v}T00:00:00Z`) : NaN;
  return Number.isFinite(at) && new Date(at).toISOString().startsWith(v!) ? v : undefined;
}

/** The console's money and usage pages: overview, credits, limits, activity, logs and models. */
@Controller()
export class ConsoleController {
  constructor(
    private readonly pages: ConsolePages<SessionPrincipal>,
    private readonly console: ConsoleService,
    private readonly creditsPages: CreditsPages,
    private readonly usagePages: UsagePages,
    private readonly topups: TopupsService,
  ) {}

  @Get()
  async overview(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const c = await this.pages.open(req, reply);
    if (c)
      await this.pages.run(c, 'overview', async () => ({
        nav: 'overview',
        title: 'Overview',
        view: 'overview',
        data: await this.console.overview(c.session.userId),
      }));
  }

  @Get('credits')
  async credits(@Query() q: Q, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const c = await this.pages.open(req, reply);
    if (!c) return;
    await this.pages.run(c, 'credits', async () => {
      // A preset button sends its amount next to the (empty) custom field.
      const amount = str(q, 'preset') || str(q, 'amount');
      let quote = null;
      let quoteError: string | undefined;
      if (amount !== undefined && this.topups.configured) {
        try {
          quote = this.creditsPages.quote(/^\d{1,7}(\.\d{1,2})?$/.test(amount.trim()) ? Number(amount.trim()) : NaN);
        } catch (err) {
          quoteError = (err as Error).message.replace(/^Invalid request: /, '');
        }
      }
      const topupId = str(q, 'topup') ?? str(q, 'cancelled');
      const data = await this.creditsPages.creditsPage(c.session.userId, {
        before: str(q, 'before'),
        ledgerBefore: str(q, 'ledger_before'),
        topupId,
      });
      return {
        nav: 'credits',
        title: 'Credits',
        view: 'credits',
        status: quoteError ? 400 : 200,
        formTargets: quote ? [STRIPE_CHECKOUT_ORIGIN] : [],
        data: { ...data, quote, quoteError, amount: amount ?? '', cancelled: str(q, 'cancelled') !== undefined && data.returned !== null },
      };
    });
  }

  @Post('credits/checkout')
  @AcceptsFormPosts()
  async checkout(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const c = await this.pages.openForm(req, reply);
    if (!c) return;
    const amount = field(req.body, 'amount').trim();
    await this.pages.run(c, 'credits', async () => {
      const session = await this.topups.checkout(c.session.userId, /^\d{1,7}(\.\d{1,2})?$/.test(amount) ? Number(amount) : NaN);
      sendSeeOther(reply, session.url);
    });
  }

  @Get('limits')
  async limits(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const c = await this.pages.open(req, reply);
    if (c)
      await this.pages.run(c, 'limits', async () => ({
        nav: 'limits',
        title: 'Limits',
        view: 'limits',
        notices: LIMITS_NOTICES,
        data: await this.creditsPages.limits(c.session.userId),
      }));
  }

  @Get('activity')
  async activity(@Query() q: Q, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const c = await this.pages.open(req, reply);
    if (!c) return;
    const view: ActivityView = {
      period: oneOf(str(q, 'period'), ['day', 'week', 'month', 'year'] as const, 'month'),
      group: oneOf(str(q, 'group'), ['model', 'key', 'app'] as const, 'model'),
      metric: oneOf(str(q, 'metric'), ['spend', 'requests', 'tokens'] as const, 'spend'),
    };
    await this.pages.run(c, 'activity', async () => ({
      nav: 'activity',
      title: 'Activity',
      view: 'activity',
      data: { view, ...(await this.usagePages.activity(c.session.userId, view)) },
    }));
  }

  @Get('activity.csv')
  async activityCsv(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const c = await this.pages.open(req, reply);
    if (!c) return;
    const csv = await this.usagePages.activityCsv(c.session.userId);
    void reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="switchyard-activity.csv"')
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .send(csv);
  }

  @Get('logs')
  async logs(@Query() q: Q, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const c = await this.pages.open(req, reply);
    if (!c) return;
    const filters: LogsQuery = {
      key: /^[0-9a-f]{64}$/.test(str(q, 'key') ?? '') ? str(q, 'key') : undefined,
      app: /^[0-9a-f-]{36}$/.test(str(q, 'app') ?? '') ? str(q, 'app') : undefined,
      model: /^[\x21-\x7e]{1,200}$/.test(str(q, 'model') ?? '') ? str(q, 'model') : undefined,
      status: oneOf(str(q, 'status'), ['ok', 'error', ''] as const, '') || undefined,
      from: day(str(q, 'from')),
      to: day(str(q, 'to')),
      before: str(q, 'before') || undefined,
    };
    await this.pages.run(c, 'logs', async () => {
      const data = await this.usagePages.logs(c.session, filters);
      const { before: _before, ...kept } = filters;
      const nextHref = data.next ? `/logs?${new URLSearchParams({ ...definedOnly(kept), before: data.next }).toString()}` : null;
      return { nav: 'logs', title: 'Logs', view: 'logs', data: { ...data, filters, nextHref, paged: filters.before !== undefined } };
    });
  }

  @Get('logs/:id')
  async generation(@Param('id') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const c = await this.pages.open(req, reply);
    if (c)
      await this.pages.run(c, 'logs', async () => ({
        nav: 'logs',
        title: 'Request details',
        view: 'generation',
        data: await this.usagePages.generation(c.session.userId, id),
      }));
  }

  @Get('models')
  async models(@Query() q: Q, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const c = await this.pages.open(req, reply);
    if (!c) return;
    const search = (str(q, 'q') ?? '').slice(0, 100);
    await this.pages.run(c, 'models', async () => ({
      nav: 'models',
      title: 'Models',
      view: 'models',
      data: { q: search, models: this.console.models(search) },
    }));
  }
}

function definedOnly(o: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).filter((e): e is [string, string] => e[1] !== undefined));
}
