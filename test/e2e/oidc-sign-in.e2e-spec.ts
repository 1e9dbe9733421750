import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { freePort, ROOT } from '../support/processes';
import { createTestApp, TestApp } from '../support/test-app';
import { setCookies } from '../support/set-cookies';
import { sql } from '../support/sql';

/** A real OpenID provider (oidc-provider) in a child process. */
interface ProviderProcess {
  issuer: string;
  stop(): Promise<void>;
}

async function startProvider(client: { id: string; secret: string; redirectUri: string }, idTokenClaims = false): Promise<ProviderProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      join(ROOT, 'test', 'support', 'oidc-provider-server.mjs'),
      `--client-id=${client.id}`,
      `--client-secret=${client.secret}`,
      `--redirect-uri=${client.redirectUri}`,
      `--id-token-claims=${idTokenClaims ? '1' : '0'}`,
    ],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const issuer = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`OpenID provider did not start:\n${out}`)), 15000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{"issuer"'));
      if (line) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { issuer: string }).issuer);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`OpenID provider exited with ${code}:\n${out}`));
    });
  });
  return {
    issuer,
    stop: async () => {
      child.stdin!.end();
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A browser: a cookie jar per origin, redirects followed by hand. */
class Browser {
  readonly jar = new Map<string, Map<string, string>>();

  async go(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
    const origin = new URL(url).origin;
    const cookies = [...(this.jar.get(origin) ?? new Map<string, string>())].map(([k, v]) => `${k}=${v}`).join('; ');
    const headers: Record<string, string> = { 'user-agent': 'oidc-e2e' };
    if (cookies) headers.cookie = cookies;
    if (init.form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(url, {
      method: init.method ?? 'GET',
      headers,
      body: init.form ? new URLSearchParams(init.form).toString() : undefined,
      redirect: 'manual',
    });
    for (const { name, value, removed } of setCookies(res)) {
      const store = this.jar.get(origin) ?? new Map<string, string>();
      if (removed) store.delete(name);
      else store.set(name, value);
      this.jar.set(origin, store);
    }
    return res;
  }

  cookie(url: string, name: string): string | undefined {
    return this.jar.get(new URL(url).origin)?.get(name);
  }

  setCookie(url: string, name: string, value: string | undefined): void {
    const store = this.jar.get(new URL(url).origin) ?? new Map<string, string>();
    if (value === undefined) store.delete(name);
    else store.set(name, value);
    this.jar.set(new URL(url).origin, store);
  }
}

function location(res: Response, base: string): string {
  const to = res.headers.get('location');
  if (!to) throw new Error(`HTTP ${res.status} without Location`);
  return new URL(to, base).toString();
}

const decodeHtml = (s: string) =>
  s
    .replace(/&amp;/g, '&')
    .replace(/&#x2F;/gi, '/')
    .replace(/&#47;/g, '/');

/**
 * Drives the provider's login and consent pages until it redirects back to the app; returns that
 * callback URL without following it. `abort` cancels at the first page instead.
 */
async function throughProvider(browser: Browser, from: string, appUrl: string, login: string, abort = false): Promise<string> {
  let url = from;
  for (let step = 0; step < 20; step++) {
    if (url.startsWith(`${appUrl}/`)) return url;
    const res = await browser.go(url);
    if (res.status >= 300 && res.status < 400) {
      url = location(res, url);
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) throw new Error(`provider answered ${res.status}: ${html.slice(0, 500)}`);
    if (abort) {
      url = `${url.replace(/\/$/, '')}/abort`;
      continue;
    }
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="([a-z]+)"/.exec(html)?.[1];
    if (!action || !prompt) throw new Error(`no interaction form in: ${html.slice(0, 500)}`);
    const form: Record<string, string> = prompt === 'login' ? { prompt, login, password: 'any password' } : { prompt };
    const submitted = await browser.go(new URL(decodeHtml(action), url).toString(), { method: 'POST', form });
    if (submitted.status < 300 || submitted.status >= 400) {
      throw new Error(`submitting ${prompt} answered ${submitted.status}: ${(await submitted.text()).slice(0, 500)}`);
    }
    url = location(submitted, url);
  }
  throw new Error('the provider never redirected back to the app');
}

interface ErrorBody {
  error: { code: number; message: string; metadata: { error_type: string } };
}

function sessionCookieSet(res: Response): boolean {
  return res.headers.getSetCookie().some((c) => c.startsWith('sy_session='));
}

describe('Sign in with OpenID Connect against a real provider', () => {
  const client = { id: 'switchyard-e2e', secret: randomBytes(24).toString('base64url') };
  let provider: ProviderProcess;
  let t: TestApp;
  let appUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    appUrl = `http://127.0.0.1:${port}`;
    provider = await startProvider({ ...client, redirectUri: `${appUrl}/auth/oidc/callback` });
    t = await createTestApp({
      port,
      env: {
        PORT: String(port),
        PUBLIC_URL: appUrl,
        OIDC_ISSUER: provider.issuer,
        OIDC_CLIENT_ID: client.id,
        OIDC_CLIENT_SECRET: client.secret,
      },
    });
    expect(t.url).toBe(appUrl);
  });
  afterAll(async () => {
    await t?.close();
    await provider?.stop();
  });

  /** Start → provider → back at the callback URL (not yet visited). */
  async function startAndLogin(browser: Browser, login: string, returnTo = '/dashboard', abort = false): Promise<string> {
    const start = await browser.go(`${appUrl}/auth/oidc/start?return_to=${encodeURIComponent(returnTo)}`);
    expect(start.status).toBe(302);
    expect(browser.cookie(appUrl, 'sy_oidc')).toBeTruthy();
    return throughProvider(browser, location(start, appUrl), appUrl, login, abort);
  }

  async function me(browser: Browser): Promise<{ status: number; body: { data: { id: string; email: string; email_verified: boolean } } }> {
    const res = await browser.go(`${appUrl}/api/v1/users/me`);
    return { status: res.status, body: (await res.json()) as { data: { id: string; email: string; email_verified: boolean } } };
  }

  it('redirects to the provider with code flow, PKCE S256, state, nonce and our callback', async () => {
    const res = await fetch(`${appUrl}/auth/oidc/start`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const to = new URL(res.headers.get('location')!);
    expect(to.origin).toBe(provider.issuer);
    expect(to.searchParams.get('response_type')).toBe('code');
    expect(to.searchParams.get('client_id')).toBe(client.id);
    expect(to.searchParams.get('redirect_uri')).toBe(`${appUrl}/auth/oidc/callback`);
    expect(to.searchParams.get('scope')).toBe('openid email profile');
    expect(to.searchParams.get('code_challenge_method')).toBe('S256');
    expect(to.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(to.searchParams.get('state')!.length).toBeGreaterThanOrEqual(32);
    expect(to.searchParams.get('nonce')!.length).toBeGreaterThanOrEqual(32);
    const binding = res.headers.getSetCookie().find((c) => c.startsWith('sy_oidc='));
    expect(binding).toMatch(/Path=\/auth\/oidc/);
    expect(binding).toMatch(/HttpOnly/);
    expect(binding).toMatch(/SameSite=Lax/);
    expect(binding).toMatch(/Max-Age=600/);
    expect(res.headers.getSetCookie().some((c) => c.startsWith('sy_session='))).toBe(false);
  });

  let aliceId: string;

  it('signs alice in end to end: session cookie, return_to, binding cookie cleared, state usable once', async () => {
    const browser = new Browser();
    const callback = await startAndLogin(browser, 'alice', '/dashboard?tab=keys');
    expect(callback.startsWith(`${appUrl}/auth/oidc/callback?`)).toBe(true);
    expect(new URL(callback).searchParams.get('code')).toBeTruthy();

    const res = await browser.go(callback);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard?tab=keys');
    expect(sessionCookieSet(res)).toBe(true);
    expect(res.headers.getSetCookie().find((c) => c.startsWith('sy_oidc='))).toMatch(/Max-Age=0/);
    expect(browser.cookie(appUrl, 'sy_oidc')).toBeUndefined();

    const who = await me(browser);
    expect(who.status).toBe(200);
    expect(who.body.data.email).toBe('alice@example.com');
    expect(who.body.data.email_verified).toBe(true);
    aliceId = who.body.data.id;

    // The same callback again (replay): the attempt is gone.
    const replay = await browser.go(callback);
    expect(replay.status).toBe(400);
    expect(((await replay.json()) as ErrorBody).error.message).toMatch(/expired/);
    expect(sessionCookieSet(replay)).toBe(false);
  });

  it('signs the same identity in again as the same user', async () => {
    expect(aliceId).toBeDefined();
    const browser = new Browser();
    const res = await browser.go(await startAndLogin(browser, 'alice'));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard');
    const who = await me(browser);
    expect(who.status).toBe(200);
    expect(who.body.data.id).toBe(aliceId);
  });

  it('rejects a tampered state without setting a session, and the real state still works', async () => {
    const browser = new Browser();
    const callback = new URL(await startAndLogin(browser, 'alice'));
    const real = callback.searchParams.get('state')!;
    callback.searchParams.set('state', `${real.slice(0, -2)}xy`);
    const res = await browser.go(callback.toString());
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.metadata.error_type).toBe('invalid_request');
    expect(sessionCookieSet(res)).toBe(false);
    expect((await me(browser)).status).toBe(401);

    callback.searchParams.set('state', real);
    const ok = await browser.go(callback.toString());
    expect(ok.status).toBe(303);
    expect((await me(browser)).body.data.id).toBe(aliceId);
  });

  it('rejects a callback without a state', async () => {
    const browser = new Browser();
    const callback = new URL(await startAndLogin(browser, 'alice'));
    callback.searchParams.delete('state');
    const res = await browser.go(callback.toString());
    expect(res.status).toBe(400);
    expect(sessionCookieSet(res)).toBe(false);
  });

  it.each([
    ['without the sy_oidc cookie', undefined],
    ['with another browser sy_oidc cookie', 'c29tZW9uZS1lbHNlcy1iaW5kaW5nLXRva2VuLXZhbHVlLXh4eA'],
  ])('rejects the callback %s (login CSRF)', async (_label, binding) => {
    const browser = new Browser();
    const callback = await startAndLogin(browser, 'alice');
    browser.setCookie(appUrl, 'sy_oidc', binding);
    const res = await browser.go(callback);
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.metadata.error_type).toBe('invalid_request');
    expect(body.error.message).toMatch(/browser/);
    expect(sessionCookieSet(res)).toBe(false);
    expect((await me(browser)).status).toBe(401);
  });

  it('never links an identity to an account whose address was not confirmed (pre-hijacking)', async () => {
    // Anyone can sign up with bob's address; bob signing in through the provider must not land in
    // (and vouch for) that account, whose password its creator knows.
    const login = `bob-${randomBytes(4).toString('hex')}`;
    const signUp = await fetch(`${appUrl}/api/v1/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `${login}@example.com`, password: 'correct horse battery' }),
    });
    expect(signUp.status).toBe(201);
    const browser = new Browser();
    const res = await browser.go(await startAndLogin(browser, login));
    expect(res.status).toBe(409);
    expect(((await res.json()) as ErrorBody).error.message).toMatch(/not confirmed/);
    expect(sessionCookieSet(res)).toBe(false);
    expect((await me(browser)).status).toBe(401);
    expect(await sql('SELECT 1 FROM user_identities WHERE email = $1', [`${login}@example.com`])).toEqual([]);
  });

  it('links a verified identity to the existing password account with the same confirmed email', async () => {
    const login = `bob-${randomBytes(4).toString('hex')}`;
    const signUp = await fetch(`${appUrl}/api/v1/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `${login}@example.com`, password: 'correct horse battery' }),
    });
    expect(signUp.status).toBe(201);
    const existing = ((await signUp.json()) as { data: { id: string; email_verified: boolean } }).data;
    expect(existing.email_verified).toBe(false);
    // Confirmed as the emailed link does (the link itself is tested with a real SMTP server).
    await sql('UPDATE users SET email_verified = true WHERE id = $1', [existing.id]);

    const browser = new Browser();
    const res = await browser.go(await startAndLogin(browser, login));
    expect(res.status).toBe(303);
    const who = await me(browser);
    expect(who.body.data.id).toBe(existing.id);
    expect(who.body.data.email).toBe(`${login}@example.com`);
    expect(who.body.data.email_verified).toBe(true);
  });

  it('refuses an identity whose email the provider has not verified', async () => {
    const login = `mallory-${randomBytes(4).toString('hex')}`;
    const browser = new Browser();
    const res = await browser.go(await startAndLogin(browser, login));
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.metadata.error_type).toBe('invalid_request');
    expect(body.error.message).toMatch(/verified/);
    expect(sessionCookieSet(res)).toBe(false);
    expect((await me(browser)).status).toBe(401);
  });

  it('answers the provider error when the user cancels at the provider', async () => {
    const browser = new Browser();
    const callback = await startAndLogin(browser, 'alice', '/', true);
    expect(new URL(callback).searchParams.get('error')).toBe('access_denied');
    const res = await browser.go(callback);
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.message).toMatch(/access_denied/);
    expect(sessionCookieSet(res)).toBe(false);
  });

  it.each(['//evil.example/x', '/\\evil.example', 'https://evil.example/'])(
    'returns to / instead of the unsafe return_to %s',
    async (returnTo) => {
      const browser = new Browser();
      const res = await browser.go(await startAndLogin(browser, 'alice', returnTo));
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe('/');
    },
  );

  it('comes back to a long authorization request after signing in, as the password form does', async () => {
    // An /auth request with a 1 KiB state and a long callback: over 2000 characters, within the one return-path limit.
    const query = new URLSearchParams({
      callback_url: `https://app.example/${'c'.repeat(900)}`,
      code_challenge: 'x'.repeat(43),
      state: 's'.repeat(1024),
    });
    const returnTo = `/auth?${query.toString()}`;
    expect(returnTo.length).toBeGreaterThan(2000);
    const browser = new Browser();
    const res = await browser.go(await startAndLogin(browser, 'alice', returnTo));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(returnTo);
  });

  it('does not leak the client secret in errors or redirects', async () => {
    const start = await fetch(`${appUrl}/auth/oidc/start`, { redirect: 'manual' });
    expect(start.headers.get('location')).not.toContain(client.secret);
    const res = await fetch(`${appUrl}/auth/oidc/callback?state=nope&code=nope`);
    expect(res.status).toBe(400);
    expect(await res.text()).not.toContain(client.secret);
  });

  it('rejects unknown callback parameters', async () => {
    const res = await fetch(`${appUrl}/auth/oidc/callback?state=a&code=b&evil=1`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.metadata.error_type).toBe('validation_failed');
  });
});

describe('Sign in with OpenID Connect when the email is in the ID token', () => {
  const client = { id: 'switchyard-e2e-idt', secret: randomBytes(24).toString('base64url') };
  let provider: ProviderProcess;
  let t: TestApp;
  let appUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    appUrl = `http://127.0.0.1:${port}`;
    provider = await startProvider({ ...client, redirectUri: `${appUrl}/auth/oidc/callback` }, true);
    t = await createTestApp({
      port,
      env: {
        PORT: String(port),
        PUBLIC_URL: appUrl,
        OIDC_ISSUER: provider.issuer,
        OIDC_CLIENT_ID: client.id,
        OIDC_CLIENT_SECRET: client.secret,
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await provider?.stop();
  });

  it('signs in from the ID token claims', async () => {
    const login = `carol-${randomBytes(4).toString('hex')}`;
    const browser = new Browser();
    const start = await browser.go(`${appUrl}/auth/oidc/start`);
    const res = await browser.go(await throughProvider(browser, location(start, appUrl), appUrl, login));
    expect(res.status).toBe(303);
    const who = await browser.go(`${appUrl}/api/v1/users/me`);
    expect(who.status).toBe(200);
    expect(((await who.json()) as { data: { email: string } }).data.email).toBe(`${login}@example.com`);
  });
});

describe('Sign in with OpenID Connect when it is not configured', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 404 on both routes', async () => {
    const start = await fetch(`${t.url}/auth/oidc/start`, { redirect: 'manual' });
    expect(start.status).toBe(404);
    expect(((await start.json()) as ErrorBody).error.metadata.error_type).toBe('not_found');
    const callback = await fetch(`${t.url}/auth/oidc/callback?state=a&code=b`, { redirect: 'manual' });
    expect(callback.status).toBe(404);
  });
});
