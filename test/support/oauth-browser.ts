import { createHash, randomBytes } from 'node:crypto';
import { setCookies } from './set-cookies';
import type { TestApp } from './test-app';

/**
 * A browser for the OAuth pages: one cookie jar (our origin only), redirects never followed by
 * itself, forms posted as application/x-www-form-urlencoded.
 */
export class Browser {
  readonly cookies = new Map<string, string>();

  constructor(readonly base: string) {}

  async go(url: string, init: { method?: string; form?: Record<string, string | string[]> } = {}): Promise<Response> {
    const target = new URL(url, this.base);
    const headers: Record<string, string> = { 'user-agent': 'oauth-e2e' };
    if (target.origin === new URL(this.base).origin && this.cookies.size) {
      headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    }
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(init.form)) for (const one of Array.isArray(v) ? v : [v]) params.append(k, one);
      body = params.toString();
    }
    const res = await fetch(target, { method: init.method ?? (init.form ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    for (const { name, value, removed } of setCookies(res)) {
      if (removed) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  /** Follows redirects on our own origin until a page or a redirect elsewhere (the app's callback). */
  async follow(url: string): Promise<{ res: Response; url: string }> {
    let current = new URL(url, this.base).toString();
    for (let i = 0; i < 10; i++) {
      const res = await this.go(current);
      if (res.status !== 303 && res.status !== 302) return { res, url: current };
      const next = new URL(res.headers.get('location')!, current).toString();
      if (new URL(next).origin !== new URL(this.base).origin) return { res, url: next };
      current = next;
    }
    throw new Error('too many redirects');
  }
}

const decode = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&#61;/g, '=')
    .replace(/&#96;/g, '`')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** The hidden fields of the first form on a page. */
export function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[m[1]] = decode(m[2]);
  return fields;
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export const PASSWORD = 'correct horse battery staple';

/** Signs up through the web form, starting from a page that redirected to /sign-in; returns where it sends us. */
export async function signUpThroughForms(browser: Browser, signInUrl: string, email: string): Promise<string> {
  const signIn = await browser.go(signInUrl);
  const signInHtml = await signIn.text();
  const signUpHref = /href="(\/sign-up\?[^"]+)"/.exec(signInHtml)![1];
  const form = await browser.go(decode(signUpHref));
  const fields = hiddenFields(await form.text());
  const posted = await browser.go('/sign-up', { form: { ...fields, email, password: PASSWORD, name: 'OAuth tester' } });
  if (posted.status !== 303) throw new Error(`sign-up answered ${posted.status}: ${await posted.text()}`);
  return posted.headers.get('location')!;
}

export async function signInThroughForms(browser: Browser, signInUrl: string, email: string, password = PASSWORD): Promise<Response> {
  const page = await browser.go(signInUrl);
  const fields = hiddenFields(await page.text());
  return browser.go('/sign-in', { form: { ...fields, email, password } });
}

/** A signed-in browser for a user created through the JSON API. */
export async function signedInBrowser(t: TestApp, email: string): Promise<Browser> {
  const res = await fetch(`${t.url}/api/v1/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  if (res.status !== 201) throw new Error(`sign-up failed: ${res.status}`);
  const browser = new Browser(t.url);
  const [pair] = (res.headers.get('set-cookie') ?? '').split(';');
  const eq = pair.indexOf('=');
  browser.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
  return browser;
}

export interface ConsentChoice {
  decision?: 'approve' | 'deny';
  limit?: string;
  limit_reset?: string;
}

/** Opens an authorization URL in a signed-in browser, answers the consent page, returns the app's callback URL. */
export async function authorizeAndDecide(browser: Browser, authorizeUrl: string, choice: ConsentChoice = {}): Promise<URL> {
  const page = await browser.go(authorizeUrl);
  const html = await page.text();
  if (page.status !== 200) throw new Error(`authorization page answered ${page.status}: ${html.slice(0, 300)}`);
  const fields = hiddenFields(html);
  const limit = choice.limit ?? decode(/name="limit" value="([^"]*)"/.exec(html)?.[1] ?? '');
  const res = await browser.go('/oauth/consent', {
    form: { ...fields, decision: choice.decision ?? 'approve', limit, limit_reset: choice.limit_reset ?? 'none' },
  });
  if (res.status !== 303) throw new Error(`consent answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return new URL(res.headers.get('location')!);
}

export async function registerApp(
  t: TestApp,
  cookie: string,
  body: { name?: string; redirect_uris: string[]; confidential?: boolean; homepage?: string },
): Promise<{ clientId: string; clientSecret?: string }> {
  const res = await fetch(`${t.url}/api/v1/oauth/apps`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ name: 'Test App', ...body }),
  });
  const json = (await res.json()) as { data: { client_id: string }; client_secret?: string };
  if (res.status !== 201) throw new Error(`app registration failed: ${res.status} ${JSON.stringify(json)}`);
  return { clientId: json.data.client_id, clientSecret: json.client_secret };
}

/** The session cookie header of a browser, for JSON calls as that user. */
export const cookieOf = (browser: Browser) => `sy_session=${browser.cookies.get('sy_session')}`;
