import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import * as oauth from 'oauth4webapi';
import OpenAI from 'openai';
import { sql } from '../support/sql';
import { CreditsService } from '../../src/credits/credits.service';
import { LedgerService } from '../../src/credits/ledger.service';
import { usdToNanos } from '../../src/common/money/money';
import { appCreateCommand, pruneCommand } from '../../src/oauth/oauth.commands';
import { PRUNE_OAUTH_EVERY_MS, PRUNE_OAUTH_JOB } from '../../src/oauth/oauth-pruner.processor';
import { QueueName } from '../../src/common/queue/queue-names';
import { call, signUp, uniqueEmail } from '../support/factories';
import { GatewayFixture, startGatewayFixture } from '../support/gateway-fixture';
import {
  authorizeAndDecide,
  Browser,
  cookieOf,
  hiddenFields,
  pkcePair,
  registerApp,
  signedInBrowser,
  signInThroughForms,
  signUpThroughForms,
} from '../support/oauth-browser';
import { freePort } from '../support/processes';

const insecure = { [oauth.allowInsecureRequests]: true } as const;

interface KeyInfo {
  data: {
    label: string;
    limit: number | null;
    limit_reset: string | null;
    usage: number;
    limit_remaining: number | null;
    creator_user_id: string;
  };
}

/** Gives the signing user credit to spend. */
async function fund(f: GatewayFixture, userId: string, usd: number): Promise<void> {
  await f.t.get(CreditsService).grant(userId, usdToNanos(usd), 'oauth test credit');
}

/** The user's available balance, in USD. */
async function balance(f: GatewayFixture, userId: string): Promise<number> {
  return Number((await f.t.get(LedgerService).balances(userId)).available) / 1e9;
}

describe('Sign in with Switchyard: third-party apps get keys that spend the user’s credits', () => {
  let f: GatewayFixture;
  let base: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    f = await startGatewayFixture({ port, env: { PORT: String(port), PUBLIC_URL: base } });
    expect(f.t.url).toBe(base);
  });
  afterAll(() => f.close());

  /** The key's usage once the call has settled (settlement follows the response). */
  async function settledKey(key: string): Promise<KeyInfo['data']> {
    for (let i = 0; i < 100; i++) {
      const res = await call<KeyInfo>(f.t, 'GET', '/api/v1/key', { key });
      expect(res.status).toBe(200);
      if (res.body.data.usage > 0) return res.body.data;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the call never settled on the key');
  }

  const chatWith = (key: string) =>
    new OpenAI({ apiKey: key, baseURL: `${base}/api/v1`, maxRetries: 0 }).chat.completions.create({
      model: 'test/a-only',
      messages: [{ role: 'user', content: 'Say hello' }],
      max_tokens: 20,
    });

  it('metadata (RFC 8414): issuer is PUBLIC_URL, S256 only, code only (matrix row 25)', async () => {
    const res = await fetch(`${base}/.well-known/oauth-authorization-server`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const m = (await res.json()) as Record<string, unknown>;
    expect(m.issuer).toBe(base);
    expect(m.code_challenge_methods_supported).toEqual(['S256']);
    expect(m.response_types_supported).toEqual(['code']);
    expect(m.grant_types_supported).toEqual(['authorization_code']);
    expect(m.grant_types_supported).not.toContain('implicit');
    expect(m.grant_types_supported).not.toContain('password');
    expect(m).toMatchObject({
      authorization_endpoint: `${base}/oauth/authorize`,
      token_endpoint: `${base}/oauth/token`,
      revocation_endpoint: `${base}/oauth/revoke`,
      authorization_response_iss_parameter_supported: true,
    });
    // A stock client accepts it.
    const as = await oauth.processDiscoveryResponse(
      new URL(base),
      await oauth.discoveryRequest(new URL(base), { algorithm: 'oauth2', ...insecure }),
    );
    expect(as.issuer).toBe(base);
  });

  it('oauth4webapi, public client on a loopback redirect: sign in, consent, code + PKCE, the key calls chat completions', async () => {
    const owner = await signUp(f.t, 'dev');
    const { clientId } = await registerApp(f.t, owner.cookie, { name: 'Loopback CLI', redirect_uris: ['http://127.0.0.1/callback'] });

    const issuer = new URL(base);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
    const client: oauth.Client = { client_id: clientId };
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const redirectUri = 'http://127.0.0.1:51004/callback';
    const authUrl = new URL(as.authorization_endpoint!);
    authUrl.searchParams.set('client_id', clientId);
    authUrl.searchParams.set('redirect_uri', redirectUri);
    authUrl.searchParams.set('response_type', 'code');
    authUrl.searchParams.set('scope', 'inference');
    authUrl.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
    authUrl.searchParams.set('code_challenge_method', 'S256');
    authUrl.searchParams.set('state', state);

    // The user has an account but is not signed in: /oauth/authorize sends them to the sign-in form and back.
    const user = await signUp(f.t, 'enduser');
    const browser = new Browser(base);
    const first = await browser.go(authUrl.toString());
    expect(first.status).toBe(303);
    const signInUrl = first.headers.get('location')!;
    expect(signInUrl).toMatch(/^\/sign-in\?return_to=%2Foauth%2Fauthorize%3F/);
    const signedIn = await signInThroughForms(browser, signInUrl, user.email, user.password);
    expect(signedIn.status).toBe(303);
    const back = signedIn.headers.get('location')!;
    expect(back.startsWith('/oauth/authorize?')).toBe(true);

    const callback = await authorizeAndDecide(browser, back, { limit: '2.5', limit_reset: 'monthly' });
    expect(callback.origin + callback.pathname).toBe(redirectUri);
    expect(callback.searchParams.get('iss')).toBe(base);
    const params = oauth.validateAuthResponse(as, client, callback, state);
    const tokenRes = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirectUri, verifier, insecure);
    expect(tokenRes.headers.get('cache-control')).toBe('no-store');
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, tokenRes);
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.scope).toBe('inference');
    expect(tokens.access_token).toMatch(/^sk-sy-v1-[0-9a-f]{64}$/);
    expect((tokens as unknown as { user_id: string }).user_id).toBe(user.id);

    await fund(f, user.id, 10);
    const completion = await chatWith(tokens.access_token);
    expect(completion.choices[0].message.content).toBeTruthy();
    expect(completion.usage?.total_tokens).toBeGreaterThan(0);

    const me = await settledKey(tokens.access_token);
    expect(me).toMatchObject({ limit: 2.5, limit_reset: 'monthly', creator_user_id: user.id });
    expect(me.usage).toBeGreaterThan(0);
    expect(me.usage).toBeLessThanOrEqual(2.5);
    // The cost left the signing user's own balance, exactly.
    expect(await balance(f, user.id)).toBeCloseTo(10 - me.usage, 9);

    // The key is the user's, named after the app, linked to it.
    const keys = await call<{ data: { name: string; label: string }[] }>(f.t, 'GET', '/api/v1/keys', { cookie: user.cookie });
    expect(keys.body.data.map((k) => k.name)).toEqual(['Loopback CLI']);
    const [row] = await sql<{ app_id: string | null; user_id: string }>(
      `SELECT app_id, user_id FROM api_keys WHERE name = 'Loopback CLI' AND user_id = $1`,
      [user.id],
    );
    expect(row.app_id).toBeTruthy();

    // The request is attributed to the app in its generation record.
    const until = Date.now() + 10_000;
    let generation = await call<{ data: { app_id: number | null } }>(f.t, 'GET', `/api/v1/generation?id=${completion.id}`, {
      key: tokens.access_token,
    });
    while (generation.status === 404 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
      generation = await call<{ data: { app_id: number | null } }>(f.t, 'GET', `/api/v1/generation?id=${completion.id}`, {
        key: tokens.access_token,
      });
    }
    // By the app's integer id, as OpenRouter shows apps.
    const [app] = await sql<{ public_id: number }>(`SELECT public_id FROM oauth_apps WHERE id = $1`, [row.app_id]);
    expect(generation.body.data.app_id).toBe(app.public_id);

    // The app revokes its key (RFC 7009); the key stops working.
    const revoked = await oauth.revocationRequest(as, client, oauth.None(), tokens.access_token, insecure);
    await oauth.processRevocationResponse(revoked);
    expect((await call(f.t, 'GET', '/api/v1/key', { key: tokens.access_token })).status).toBe(401);
  });

  it('oauth4webapi, confidential client with client_secret_basic', async () => {
    const owner = await signUp(f.t, 'dev');
    const created = await call<{
      data: { client_id: string; confidential: boolean; token_endpoint_auth_method: string };
      client_secret: string;
    }>(f.t, 'POST', '/api/v1/oauth/apps', {
      cookie: owner.cookie,
      body: {
        name: 'Server App',
        homepage: 'https://server-app.example',
        redirect_uris: ['https://server-app.example/oauth/callback'],
        confidential: true,
      },
    });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({ confidential: true, token_endpoint_auth_method: 'client_secret_basic' });
    expect(created.body.client_secret).toMatch(/^sy-cs-/);
    const listed = await call<{ data: unknown[] }>(f.t, 'GET', '/api/v1/oauth/apps', { cookie: owner.cookie });
    expect(JSON.stringify(listed.body)).not.toContain(created.body.client_secret);

    const as = await oauth.processDiscoveryResponse(
      new URL(base),
      await oauth.discoveryRequest(new URL(base), { algorithm: 'oauth2', ...insecure }),
    );
    const client: oauth.Client = { client_id: created.body.data.client_id };
    const verifier = oauth.generateRandomCodeVerifier();
    const redirectUri = 'https://server-app.example/oauth/callback';
    const authUrl = new URL(as.authorization_endpoint!);
    for (const [k, v] of Object.entries({
      client_id: client.client_id,
      redirect_uri: redirectUri,
      response_type: 'code',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    })) {
      authUrl.searchParams.set(k, v);
    }
    const browser = await signedInBrowser(f.t, uniqueEmail('conf'));
    const callback = await authorizeAndDecide(browser, authUrl.toString());
    const params = oauth.validateAuthResponse(as, client, callback, oauth.expectNoState);
    const res = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      oauth.ClientSecretBasic(created.body.client_secret),
      params,
      redirectUri,
      verifier,
      insecure,
    );
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, res);
    expect((await call(f.t, 'GET', '/api/v1/key', { key: tokens.access_token })).status).toBe(200);

    // Revocation of a confidential app's key needs the app's credentials.
    const anonymous = await fetch(`${base}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: tokens.access_token }),
    });
    expect(anonymous.status).toBe(401);
    expect((await call(f.t, 'GET', '/api/v1/key', { key: tokens.access_token })).status).toBe(200);
    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client, oauth.ClientSecretBasic(created.body.client_secret), tokens.access_token, insecure),
    );
    expect((await call(f.t, 'GET', '/api/v1/key', { key: tokens.access_token })).status).toBe(401);
  });

  it('OpenRouter-style: /auth, sign up on our form, consent (lowering the app’s limit), POST /api/v1/auth/keys; the key spends the user’s credits within its cap', async () => {
    const { verifier, challenge } = pkcePair();
    const callbackUrl = 'http://localhost:3000/openrouter/callback';
    const authUrl = `/auth?${new URLSearchParams({ callback_url: callbackUrl, code_challenge: challenge, code_challenge_method: 'S256', state: 'or-state-1', key_label: 'My Chat App', limit: '5' })}`;

    const browser = new Browser(base);
    const first = await browser.go(authUrl);
    expect(first.status).toBe(303);
    const email = uniqueEmail('or-user');
    const back = await signUpThroughForms(browser, first.headers.get('location')!, email);
    expect(back.startsWith('/auth?')).toBe(true);

    // The consent page: the app is its origin; the app asked for $5, raising it is refused.
    const page = await browser.go(back);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('http://localhost:3000');
    expect(html).toContain('My Chat App');
    expect(html).toContain('name="limit" value="5"');
    const fields = hiddenFields(html);
    const raised = await browser.go('/oauth/consent', { form: { ...fields, decision: 'approve', limit: '50', limit_reset: 'none' } });
    expect(raised.status).toBe(400);
    expect(await raised.text()).toContain('at most $5');
    const removed = await browser.go('/oauth/consent', { form: { ...fields, decision: 'approve', limit: '', limit_reset: 'none' } });
    expect(removed.status).toBe(400);
    const approved = await browser.go('/oauth/consent', { form: { ...fields, decision: 'approve', limit: '1.5', limit_reset: 'daily' } });
    expect(approved.status).toBe(303);
    const callback = new URL(approved.headers.get('location')!);
    expect(`${callback.origin}${callback.pathname}`).toBe(callbackUrl);
    expect(callback.searchParams.get('state')).toBe('or-state-1');
    const code = callback.searchParams.get('code')!;
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // The app's backend exchanges the code, as OpenRouter's SDK does.
    const exchanged = await fetch(`${base}/api/v1/auth/keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code, code_verifier: verifier, code_challenge_method: 'S256' }),
    });
    expect(exchanged.status).toBe(200);
    expect(exchanged.headers.get('cache-control')).toBe('no-store');
    const { key, user_id } = (await exchanged.json()) as { key: string; user_id: string };
    expect(key).toMatch(/^sk-sy-v1-[0-9a-f]{64}$/);
    const me = await call<{ data: { id: string } }>(f.t, 'GET', '/api/v1/users/me', { cookie: cookieOf(browser) });
    expect(user_id).toBe(me.body.data.id);

    await fund(f, user_id, 10);
    const completion = await chatWith(key);
    expect(completion.usage?.total_tokens).toBeGreaterThan(0);
    const info = await settledKey(key);
    expect(info).toMatchObject({ limit: 1.5, limit_reset: 'daily', creator_user_id: user_id });
    expect(info.usage).toBeGreaterThan(0);
    expect(info.usage).toBeLessThanOrEqual(1.5);
    expect(info.limit_remaining).toBeCloseTo(1.5 - info.usage, 9);
    expect(await balance(f, user_id)).toBeCloseTo(10 - info.usage, 9);

    // The user sees the app, its key and what it spent.
    const apps = await call<{
      data: {
        app_id: string;
        name: string;
        origin: string;
        registered: boolean;
        usage: number;
        keys: { name: string; usage: number; limit: number }[];
      }[];
    }>(f.t, 'GET', '/api/v1/apps/authorized', { cookie: cookieOf(browser) });
    expect(apps.status).toBe(200);
    expect(apps.body.data).toHaveLength(1);
    expect(apps.body.data[0]).toMatchObject({ name: 'http://localhost:3000', origin: 'http://localhost:3000', registered: false });
    expect(apps.body.data[0].keys).toMatchObject([{ name: 'My Chat App', limit: 1.5 }]);
    expect(apps.body.data[0].usage).toBe(info.usage);
    expect(apps.body.data[0].keys[0].usage).toBe(info.usage);
  });

  it('the same origin is the same app; revoking an authorized app stops all its keys within 1 s', async () => {
    const browser = await signedInBrowser(f.t, uniqueEmail('revoker'));
    const keys: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { verifier, challenge } = pkcePair();
      const callback = await authorizeAndDecide(
        browser,
        `/auth?${new URLSearchParams({ callback_url: `https://revoke-me.example/cb${i}`, code_challenge: challenge, code_challenge_method: 'S256' })}`,
      );
      const res = await call<{ key: string }>(f.t, 'POST', '/api/v1/auth/keys', {
        body: { code: callback.searchParams.get('code'), code_verifier: verifier },
      });
      expect(res.status).toBe(200);
      keys.push(res.body.key);
    }
    const own = await call<{ key: string }>(f.t, 'POST', '/api/v1/keys', { cookie: cookieOf(browser), body: { name: 'not an app key' } });
    const apps = await call<{ data: { app_id: string; keys: unknown[] }[] }>(f.t, 'GET', '/api/v1/apps/authorized', {
      cookie: cookieOf(browser),
    });
    expect(apps.body.data).toHaveLength(1);
    expect(apps.body.data[0].keys).toHaveLength(2);
    for (const k of keys) expect((await call(f.t, 'GET', '/api/v1/key', { key: k })).status).toBe(200);

    // Another user cannot revoke it.
    const other = await signUp(f.t, 'other');
    expect((await call(f.t, 'DELETE', `/api/v1/apps/authorized/${apps.body.data[0].app_id}`, { cookie: other.cookie })).status).toBe(404);

    const revokedAt = Date.now();
    const del = await call<{ data: { revoked_keys: number } }>(f.t, 'DELETE', `/api/v1/apps/authorized/${apps.body.data[0].app_id}`, {
      cookie: cookieOf(browser),
    });
    expect(del.status).toBe(200);
    expect(del.body.data.revoked_keys).toBe(2);
    for (const k of keys) {
      let status = 200;
      while (status !== 401 && Date.now() - revokedAt < 1000) {
        status = (await call(f.t, 'GET', '/api/v1/key', { key: k })).status;
        if (status !== 401) await new Promise((r) => setTimeout(r, 50));
      }
      expect(status).toBe(401);
    }
    expect(Date.now() - revokedAt).toBeLessThan(1000);
    await expect(chatWith(keys[0])).rejects.toMatchObject({ status: 401 });
    expect((await call(f.t, 'GET', '/api/v1/key', { key: own.body.key })).status).toBe(200);
    expect((await call<{ data: unknown[] }>(f.t, 'GET', '/api/v1/apps/authorized', { cookie: cookieOf(browser) })).body.data).toEqual([]);
  });

  it('a user who denies is sent back with access_denied and the state (matrix row 10)', async () => {
    const browser = await signedInBrowser(f.t, uniqueEmail('denier'));
    const { challenge } = pkcePair();
    const callback = await authorizeAndDecide(
      browser,
      `/auth?${new URLSearchParams({ callback_url: 'https://deny.example/cb', code_challenge: challenge, code_challenge_method: 'S256', state: 'keep me' })}`,
      { decision: 'deny' },
    );
    expect(callback.origin).toBe('https://deny.example');
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe('keep me');
    expect(callback.searchParams.get('code')).toBeNull();
  });

  it('the consent page cannot be framed or cached, and its form may only go to us and the app', async () => {
    const browser = await signedInBrowser(f.t, uniqueEmail('headers'));
    const { challenge } = pkcePair();
    const res = await browser.go(
      `/auth?${new URLSearchParams({ callback_url: 'https://frame.example/cb', code_challenge: challenge, code_challenge_method: 'S256' })}`,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("form-action 'self' https://frame.example");
    const html = await res.text();
    expect(html).toMatch(/<input type="hidden" name="csrf_token" value="[A-Za-z0-9_-]{43}">/);
  });

  it('app names and labels are escaped on the consent page', async () => {
    const owner = await signUp(f.t, 'xss');
    const { clientId } = await registerApp(f.t, owner.cookie, {
      name: '<script>alert(1)</script>',
      redirect_uris: ['https://xss.example/cb'],
    });
    const browser = await signedInBrowser(f.t, uniqueEmail('xss-victim'));
    const { challenge } = pkcePair();
    const res = await browser.go(
      `/oauth/authorize?${new URLSearchParams({ client_id: clientId, redirect_uri: 'https://xss.example/cb', response_type: 'code', code_challenge: challenge, code_challenge_method: 'S256' })}`,
    );
    const html = await res.text();
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const label = await browser.go(
      `/auth?${new URLSearchParams({ callback_url: 'https://xss.example/cb', code_challenge: challenge, code_challenge_method: 'S256', key_label: '"><img src=x onerror=alert(1)>' })}`,
    );
    expect(await label.text()).not.toContain('<img src=x');
  });

  it('/auth refuses what OpenRouter still accepts: no PKCE, plain PKCE, non-https callbacks — on a page, never redirecting', async () => {
    const browser = await signedInBrowser(f.t, uniqueEmail('strict'));
    const { challenge, verifier } = pkcePair();
    const cases: Record<string, string>[] = [
      { callback_url: 'https://app.example/cb' },
      { callback_url: 'https://app.example/cb', code_challenge: verifier, code_challenge_method: 'plain' },
      { callback_url: 'https://app.example/cb', code_challenge: challenge },
      { callback_url: 'http://app.example/cb', code_challenge: challenge, code_challenge_method: 'S256' },
      { callback_url: 'https://app.example/cb#frag', code_challenge: challenge, code_challenge_method: 'S256' },
      { callback_url: 'https://user@app.example/cb', code_challenge: challenge, code_challenge_method: 'S256' },
      { callback_url: 'javascript:alert(1)', code_challenge: challenge, code_challenge_method: 'S256' },
      // Without a callback_url it is headless mode (oauth-headless.e2e-spec.ts), which still needs S256.
      { code_challenge: challenge },
      { callback_url: 'https://app.example/cb', code_challenge: challenge, code_challenge_method: 'S256', state: 'x'.repeat(1025) },
      { callback_url: 'https://app.example/cb', code_challenge: challenge, code_challenge_method: 'S256', limit: '-3' },
    ];
    for (const params of cases) {
      const res = await browser.go(`/auth?${new URLSearchParams(params)}`);
      expect([res.status, params]).toEqual([400, params]);
      expect(res.headers.get('location')).toBeNull();
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    }
    // Repeated parameters too.
    const repeated = await browser.go(
      `/auth?callback_url=https://app.example/cb&code_challenge=${challenge}&code_challenge=${challenge}&code_challenge_method=S256`,
    );
    expect(repeated.status).toBe(400);
  });

  it('/api/v1/auth/keys: wrong method 400, wrong or missing verifier 403, replay 403 and the first key is revoked', async () => {
    const browser = await signedInBrowser(f.t, uniqueEmail('exchange'));
    const { challenge, verifier } = pkcePair();
    const getCode = async () =>
      (
        await authorizeAndDecide(
          browser,
          `/auth?${new URLSearchParams({ callback_url: 'https://exchange.example/cb', code_challenge: challenge, code_challenge_method: 'S256' })}`,
        )
      ).searchParams.get('code')!;
    const code = await getCode();
    const plain = await call<{ error: { code: number; metadata: { error_type: string } } }>(f.t, 'POST', '/api/v1/auth/keys', {
      body: { code, code_verifier: verifier, code_challenge_method: 'plain' },
    });
    expect(plain.status).toBe(400);
    expect(plain.body.error.metadata.error_type).toBe('invalid_request');
    expect((await call(f.t, 'POST', '/api/v1/auth/keys', { body: { code } })).status).toBe(403);
    const wrong = await call(f.t, 'POST', '/api/v1/auth/keys', { body: { code, code_verifier: pkcePair().verifier } });
    expect(wrong.status).toBe(403);
    // A wrong verifier burnt the code.
    expect((await call(f.t, 'POST', '/api/v1/auth/keys', { body: { code, code_verifier: verifier } })).status).toBe(403);

    const fresh = await getCode();
    const first = await call<{ key: string }>(f.t, 'POST', '/api/v1/auth/keys', {
      body: { code: fresh, code_verifier: verifier, code_challenge_method: 'S256' },
    });
    expect(first.status).toBe(200);
    const again = await call(f.t, 'POST', '/api/v1/auth/keys', { body: { code: fresh, code_verifier: verifier } });
    expect(again.status).toBe(403);
    expect((await call(f.t, 'GET', '/api/v1/key', { key: first.body.key })).status).toBe(401);
    // A code from /auth is no OAuth client's code.
    expect((await call(f.t, 'POST', '/api/v1/auth/keys', { body: { code: 'x'.repeat(43), code_verifier: verifier } })).status).toBe(403);
  });

  it('app registration refuses unsafe redirect URIs; app:create registers from the command line', async () => {
    const owner = await signUp(f.t, 'registrar');
    for (const uri of ['http://app.example/cb', 'https://app.example/cb#x', 'https://u:p@app.example/cb', 'myapp://cb', '/relative']) {
      const res = await call<{ error: { metadata: { error_type: string } } }>(f.t, 'POST', '/api/v1/oauth/apps', {
        cookie: owner.cookie,
        body: { name: 'Bad', redirect_uris: [uri] },
      });
      expect([uri, res.status, res.body.error.metadata.error_type]).toEqual([uri, 400, 'validation_failed']);
    }
    expect(
      (await call(f.t, 'POST', '/api/v1/oauth/apps', { body: { name: 'Anon', redirect_uris: ['https://a.example/cb'] } })).status,
    ).toBe(401);

    const lines: string[] = [];
    const code = await appCreateCommand.run({
      config: f.t.config,
      options: {
        name: 'CLI App',
        'redirect-uris': 'https://cli-app.example/cb, http://127.0.0.1/cb',
        owner: owner.email,
        'client-type': 'confidential',
      },
      positionals: [],
      app: f.t.app,
      out: (l) => lines.push(l),
    });
    expect(code).toBe(0);
    const clientId = /client_id: (\S+)/.exec(lines.join('\n'))![1];
    expect(lines.join('\n')).toMatch(/client_secret: sy-cs-[A-Za-z0-9_-]{43}/);
    const mine = await call<{ data: { client_id: string; redirect_uris: string[] }[] }>(f.t, 'GET', '/api/v1/oauth/apps', {
      cookie: owner.cookie,
    });
    expect(mine.body.data.find((a) => a.client_id === clientId)?.redirect_uris).toEqual([
      'https://cli-app.example/cb',
      'http://127.0.0.1/cb',
    ]);
    const ctx = { config: f.t.config, positionals: [], app: f.t.app, out: (l: string) => lines.push(l) };
    await expect(appCreateCommand.run({ ...ctx, options: { name: 'Bad', 'redirect-uris': 'http://bad.example/cb' } })).rejects.toThrow(
      /https/,
    );
    expect(await pruneCommand.run({ ...ctx, options: {} })).toBe(0);
    expect(lines[lines.length - 1]).toMatch(/^deleted \d+ consent requests and \d+ codes$/);
  });

  it('a scheduled maintenance job prunes expired consent requests and codes, as oauth:prune does', async () => {
    const queue = f.t.get<Queue>(getQueueToken(QueueName.Maintenance));
    const schedules = await queue.getRepeatableJobs();
    expect(schedules.some((j) => j.name === PRUNE_OAUTH_JOB && Number(j.every) === PRUNE_OAUTH_EVERY_MS)).toBe(true);

    const email = uniqueEmail('pruned');
    const browser = await signedInBrowser(f.t, email);
    const { challenge } = pkcePair();
    const authUrl = `/auth?${new URLSearchParams({ callback_url: 'https://prune.example/cb', code_challenge: challenge, code_challenge_method: 'S256' })}`;
    expect((await authorizeAndDecide(browser, authUrl)).searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await browser.go(authUrl)).status).toBe(200); // a consent request left open
    const [{ id: userId }] = await sql<{ id: string }>(`SELECT id FROM users WHERE email = $1`, [email]);
    const rows = async () =>
      (
        await sql<{ requests: number; codes: number }>(
          `SELECT (SELECT count(*) FROM oauth_authorization_requests WHERE user_id = $1)::int AS requests,
                  (SELECT count(*) FROM oauth_authorization_codes WHERE user_id = $1)::int AS codes`,
          [userId],
        )
      )[0];
    const before = await rows();
    expect(before.requests).toBeGreaterThanOrEqual(1);
    expect(before.codes).toBe(1);

    const runJob = async () => (await queue.add(PRUNE_OAUTH_JOB, {}, { removeOnComplete: true })).finished();
    await runJob();
    expect(await rows()).toEqual(before); // nothing expired yet
    // Expired requests go at once; codes a day after expiry (a late replay must still find its key).
    await sql(`UPDATE oauth_authorization_requests SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [userId]);
    await sql(`UPDATE oauth_authorization_codes SET expires_at = now() - interval '23 hours' WHERE user_id = $1`, [userId]);
    await runJob();
    expect(await rows()).toEqual({ requests: 0, codes: 1 });
    await sql(`UPDATE oauth_authorization_codes SET expires_at = now() - interval '25 hours' WHERE user_id = $1`, [userId]);
    await runJob();
    expect(await rows()).toEqual({ requests: 0, codes: 0 });
  });

  it('sign-in and sign-up forms: CSRF-protected, errors shown on the form, no open redirect after sign-in', async () => {
    const browser = new Browser(base);
    const noToken = await browser.go('/sign-in', { form: { email: 'a@example.com', password: 'whatever12345', return_to: '/' } });
    expect(noToken.status).toBe(403);
    const page = await browser.go('/sign-in?return_to=//evil.example/x');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const fields = hiddenFields(await page.text());
    expect(fields.return_to).toBe('/');
    const bad = await browser.go('/sign-in', { form: { ...fields, email: 'nobody@example.com', password: 'wrong password' } });
    expect(bad.status).toBe(401);
    expect(await bad.text()).toContain('Invalid email or password');
    const user = await signUp(f.t, 'formuser');
    const ok = await browser.go('/sign-in', {
      form: { ...fields, email: user.email, password: user.password, return_to: 'https://evil.example/' },
    });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/');
    expect(browser.cookies.get('sy_session')).toBeTruthy();

    const signUpPage = await browser.go('/sign-up');
    const sf = hiddenFields(await signUpPage.text());
    const short = await browser.go('/sign-up', { form: { ...sf, email: uniqueEmail('short'), password: 'short' } });
    expect(short.status).toBe(400);
    const taken = await browser.go('/sign-up', { form: { ...sf, email: user.email, password: 'long enough password' } });
    expect(taken.status).toBe(409);
  });

  it('browser apps may call the token, revocation and exchange endpoints cross-origin (no credentials)', async () => {
    for (const path of ['/oauth/token', '/oauth/revoke', '/api/v1/auth/keys']) {
      const pre = await fetch(`${base}${path}`, {
        method: 'OPTIONS',
        headers: { origin: 'https://spa.example', 'access-control-request-method': 'POST' },
      });
      expect([path, pre.status, pre.headers.get('access-control-allow-origin')]).toEqual([path, 204, '*']);
      expect(pre.headers.get('access-control-allow-headers')).toContain('content-type');
      expect(pre.headers.get('access-control-allow-credentials')).toBeNull();
    }
    const denied = await fetch(`${base}/api/v1/auth/keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://spa.example' },
      body: JSON.stringify({ code: 'nope', code_verifier: 'a'.repeat(43) }),
    });
    expect(denied.status).toBe(403);
    expect(denied.headers.get('access-control-allow-origin')).toBe('*');
    const token = await fetch(`${base}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=password',
    });
    expect(token.status).toBe(400);
    expect(token.headers.get('access-control-allow-origin')).toBe('*');
    expect((await fetch(`${base}/.well-known/oauth-authorization-server`)).headers.get('access-control-allow-origin')).toBe('*');
  });

  it('JSON API routes still refuse form posts (only the web and OAuth routes take forms)', async () => {
    const res = await fetch(`${base}/api/v1/keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=x',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { metadata: { error_type: string } } }).error.metadata.error_type).toBe(
      'unsupported_media_type',
    );
  });
});
