import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../common/errors/app-error';
import { single } from '../oauth/authorization-params';
import type { SessionPrincipal } from '../users/sessions.service';
import { SessionsService } from '../users/sessions.service';
import { ConsoleService } from './console.service';
import { FormCsrf } from './form-csrf';
import { field } from './form-dto';
import { sendPage, sendSeeOther } from './page-reply';
import { Views } from './views';

/** One console request: who is signed in, the form token for the page, cookies to set. */
export interface ConsoleRequest {
  session: SessionPrincipal;
  csrfToken: string;
  setCookies: string[];
  req: FastifyRequest;
  reply: FastifyReply;
}

export type NavItem = 'overview' | 'credits' | 'keys' | 'limits' | 'activity' | 'logs' | 'apps' | 'models' | 'settings';

export interface Shown {
  nav: NavItem;
  title: string;
  view: string;
  status?: number;
  notice?: string;
  error?: string;
  data?: object;
  /** Origins this page's forms may end up on besides ours (CSP form-action). */
  formTargets?: string[];
}

/** Messages a redirect may name (`?done=`): fixed text, never text from the URL. */
const NOTICES: Record<string, string> = {
  'key-renamed': 'The key was renamed.',
  'key-disabled': 'The key is disabled: it answers 401 until you enable it.',
  'key-enabled': 'The key is enabled.',
  'key-deleted': 'The key was deleted.',
  'limits-saved': 'Your limits were saved.',
  'app-cap': "The app's limit was changed.",
  'app-revoked': "The app's keys were revoked; they stop working within a second.",
  'password-changed': 'Your password was changed. Your other browsers were signed out.',
  'signed-out-others': 'Your other browsers were signed out.',
};

/**
 * The plumbing every console page shares: the session check (signed-out visitors go to sign-in
 * and come back), the CSRF check of form posts, rendering into the layout, and typed errors shown
 * on the page instead of as JSON.
 */
@Injectable()
export class ConsolePages {
  constructor(
    private readonly sessions: SessionsService,
    private readonly csrf: FormCsrf,
    private readonly console: ConsoleService,
    private readonly views: Views,
  ) {}

  /** The signed-in request, or null after redirecting to sign-in. */
  async open(req: FastifyRequest, reply: FastifyReply): Promise<ConsoleRequest | null> {
    const session = await this.sessions.resolve(req.headers.cookie);
    if (!session) {
      sendSeeOther(reply, `/sign-in?return_to=${encodeURIComponent(req.method === 'GET' ? req.url : '/')}`);
      return null;
    }
    const { token, setCookie } = this.csrf.issue(req.headers.cookie);
    return { session, csrfToken: token, setCookies: setCookie ? [setCookie] : [], req, reply };
  }

  /** A form post: signed in and carrying this browser's form token; else answered here. */
  async openForm(req: FastifyRequest, reply: FastifyReply): Promise<ConsoleRequest | null> {
    const c = await this.open(req, reply);
    if (!c) return null;
    if (this.csrf.verify(req.headers.cookie, field(req.body, 'csrf_token'))) return c;
    await this.show(c, { nav: 'overview', title: 'Form expired', view: 'message', status: 403, error: 'This form expired or was not sent from this site. Go back, reload the page and try again.' });
    return null;
  }

  async show(c: ConsoleRequest, s: Shown): Promise<void> {
    const frame = await this.console.frame(c.session.userId);
    const done = single(c.req.query, 'done');
    const notice = s.notice ?? (typeof done === 'string' ? NOTICES[done] : undefined);
    const page = this.views.render(s.view, { ...frame, ...s.data, nav: s.nav, title: s.title, csrfToken: c.csrfToken, notice, error: s.error });
    sendPage(c.reply, page, { status: s.status ?? 200, setCookies: c.setCookies, formTargets: s.formTargets });
  }

  /** Runs a page; a typed error (bad filter, unknown id, a service down) becomes a page with its status. */
  async run(c: ConsoleRequest, nav: NavItem, work: () => Promise<Shown | void>): Promise<void> {
    let shown: Shown | void;
    try {
      shown = await work();
    } catch (err) {
      if (!(err instanceof AppError) || (err.status >= 500 && err.code !== 'service_unavailable' && err.code !== 'provider_unavailable')) throw err;
      if (err.status === 503) c.reply.header('retry-after', '5');
      shown = { nav, title: err.status === 404 ? 'Not found' : 'Something went wrong', view: 'message', status: err.status, error: err.message };
    }
    if (shown) await this.show(c, shown);
  }
}
