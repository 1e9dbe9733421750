import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors/app-error';
import { field } from '../http/form-dto';
import { single } from '../http/form-params';
import { FormCsrf } from './form-csrf';
import { format } from './format';
import { sendPage, sendSeeOther } from './page-reply';
import { Views } from './views';

/** What the console knows of a signed-in browser; the accounts' owner gives the full session. */
export interface SignedIn {
  userId: string;
}

/**
 * Who is signed in, and what the layout shows of them on every page (the account and its balance).
 * Declared here so any module can serve a console page; implemented where sessions and balances
 * are both known (credits' ConsoleAccountsService), which exports it to the modules that import it.
 */
export abstract class ConsoleAccounts<S extends SignedIn = SignedIn> {
  /** The session behind a request's cookies, or null when signed out. */
  abstract resolve(cookieHeader: string | undefined): Promise<S | null>;
  /** The layout's data for this user: `user` (its email) and `balance` (the credits summary). */
  abstract frame(userId: string): Promise<object>;
}

/** One console request: who is signed in, the form token for the page, cookies to set. */
export interface ConsoleRequest<S extends SignedIn = SignedIn> {
  session: S;
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
  /** Messages a redirect to this page may name (`?done=`): fixed text, never text from the URL. */
  notices?: Record<string, string>;
  error?: string;
  data?: object;
  /** Origins this page's forms may end up on besides ours (CSP form-action). */
  formTargets?: string[];
}

/**
 * The plumbing every console page shares, whichever module serves it: the session check
 * (signed-out visitors go to sign-in and come back), the CSRF check of form posts, rendering into
 * the layout, and typed errors shown on the page instead of as JSON.
 */
@Injectable()
export class ConsolePages<S extends SignedIn = SignedIn> {
  constructor(
    private readonly accounts: ConsoleAccounts<S>,
    private readonly csrf: FormCsrf,
    private readonly views: Views,
  ) {}

  /** The signed-in request, or null after redirecting to sign-in. */
  async open(req: FastifyRequest, reply: FastifyReply): Promise<ConsoleRequest<S> | null> {
    const session = await this.accounts.resolve(req.headers.cookie);
    if (!session) {
      sendSeeOther(reply, `/sign-in?return_to=${encodeURIComponent(req.method === 'GET' ? req.url : '/')}`);
      return null;
    }
    const { token, setCookie } = this.csrf.issue(req.headers.cookie);
    return { session, csrfToken: token, setCookies: setCookie ? [setCookie] : [], req, reply };
  }

  /** A form post: signed in and carrying this browser's form token; else answered here. */
  async openForm(req: FastifyRequest, reply: FastifyReply): Promise<ConsoleRequest<S> | null> {
    const c = await this.open(req, reply);
    if (!c) return null;
    if (this.csrf.verify(req.headers.cookie, field(req.body, 'csrf_token'))) return c;
    await this.show(c, {
      nav: 'overview',
      title: 'Form expired',
      view: '@message',
      status: 403,
      error: 'This form expired or was not sent from this site. Go back, reload the page and try again.',
    });
    return null;
  }

  async show(c: ConsoleRequest<S>, s: Shown): Promise<void> {
    const frame = await this.accounts.frame(c.session.userId);
    const done = single(c.req.query, 'done');
    const notice = s.notice ?? (typeof done === 'string' && s.notices && Object.hasOwn(s.notices, done) ? s.notices[done] : undefined);
    const page = this.views.render(s.view, {
      ...frame,
      f: format,
      ...s.data,
      nav: s.nav,
      title: s.title,
      csrfToken: c.csrfToken,
      notice,
      error: s.error,
    });
    sendPage(c.reply, page, { status: s.status ?? 200, setCookies: c.setCookies, formTargets: s.formTargets });
  }

  /** Runs a page; a typed error (bad filter, unknown id, a service down) becomes a page with its status. */
  async run(c: ConsoleRequest<S>, nav: NavItem, work: () => Promise<Shown | void>): Promise<void> {
    let shown: Shown | void;
    try {
      shown = await work();
    } catch (err) {
      if (!(err instanceof AppError) || (err.status >= 500 && err.code !== 'service_unavailable' && err.code !== 'provider_unavailable'))
        throw err;
      if (err.status === 503) c.reply.header('retry-after', '5');
      shown = {
        nav,
        title: err.status === 404 ? 'Not found' : 'Something went wrong',
        view: '@message',
        status: err.status,
        error: err.message,
      };
    }
    if (shown) await this.show(c, shown);
  }
}
