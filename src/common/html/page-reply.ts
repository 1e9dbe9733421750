import type { FastifyReply } from 'fastify';
import { Html } from './html';

export interface PageOptions {
  status?: number;
  setCookies?: string[];
  /**
   * Where this page's form may end up besides our own origin. Browsers apply `form-action` to the
   * redirects that follow a form post too, so the consent page names the app's callback origin.
   */
  formTargets?: string[];
}

/** A CSP source expression for an origin; IPv6 literals have none, so they get their scheme. */
export function cspSource(origin: string): string {
  return /^https?:\/\/\[/.test(origin) ? origin.slice(0, origin.indexOf(':') + 1) : origin;
}

/** Security headers every HTML page carries: no framing, no foreign forms, no caching. */
export function pageHeaders(formTargets: string[] = []): Record<string, string> {
  const formAction = ["'self'", ...new Set(formTargets.map(cspSource))].join(' ');
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': `default-src 'self'; frame-ancestors 'none'; form-action ${formAction}; base-uri 'none'; object-src 'none'`,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    // Pages carry CSRF tokens or per-user details: never store them.
    'cache-control': 'no-store',
    pragma: 'no-cache',
  };
}

export function sendPage(reply: FastifyReply, page: Html, options: PageOptions = {}): void {
  reply.status(options.status ?? 200).headers(pageHeaders(options.formTargets));
  if (options.setCookies?.length) reply.header('set-cookie', options.setCookies);
  void reply.send(page.value);
}

/** 303 See Other: after a form post the browser follows with a GET and never re-posts (RFC 9700 §4.12). */
export function sendSeeOther(reply: FastifyReply, location: string, setCookies: string[] = []): void {
  reply.status(303).header('location', location).header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
  if (setCookies.length) reply.header('set-cookie', setCookies);
  void reply.send();
}
