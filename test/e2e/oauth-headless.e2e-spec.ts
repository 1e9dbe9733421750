import { OpenRouter } from '@openrouter/sdk';
import * as oauth from 'oauth4webapi';
import OpenAI from 'openai';
import type { Page } from 'playwright-core';
import { usdToNanos } from '../../src/common/money/money';
import { CreditsService } from '../../src/credits/credits.service';
import { LedgerService } from '../../src/credits/ledger.service';
import { call, signUp, SignedUpUser, uniqueEmail } from '../support/factories';
import { GatewayFixture, startGatewayFixture } from '../support/gateway-fixture';
import { Chromium, checkAtBothSizes, launchChromium } from '../support/chromium';
import { authorizeAndDecide, Browser, hiddenFields, pkcePair, signedInBrowser } from '../support/oauth-browser';
import { sql } from '../support/sql';

/**
 * Headless PKCE, as OpenRouter offers it to command-line apps that run where no browser can come
 * back to them (over SSH, in a container): `/auth` without `callback_url`, S256 required, and
 * the code shown on the page for the user to paste into the app, which exchanges it at
 * `POST /api/v1/auth/keys` with its verifier. The app here is oauth4webapi's PKCE helpers plus
 * OpenRouter's SDK for the exchange; the user is Chromium.
 */
describe('headless sign-in for command-line apps', () => {
  let f: GatewayFixture;
  let chromium: Chromium;
  const sdk = () => new OpenRouter({ serverURL: `${f.t.url}/api/v1`, retryConfig: { strategy: 'none' }, timeoutMs: 20_000 });

  beforeAll(async () => {
    f = await startGatewayFixture();
    chromium = await launchChromium();
  }, 60_000);
  afterEach(async () => {
    expect(await f.t.get(LedgerService).check()).toEqual([]);
  });
  afterAll(async () => {
    await chromium?.close();
    await f?.close();
  });

  /** A page in Chromium, signed in as `user` (the session cookie the sign-up set). */
  async function signedInPage(user: SignedUpUser): Promise<Page> {
    const [name, value] = user.cookie.split('=');
    await chromium.context.addCookies([{ name, value, url: f.t.url }]);
    const page = await chromium.context.newPage();
    page.setDefaultTimeout(10_000);
    return page;
  }

  it('in Chromium: the consent page, the code shown to copy, the exchange through the SDK, a key that spends the user’s credits', async () => {
    // The command-line app: a verifier it keeps, and the link it prints.
    const verifier = oauth.generateRandomCodeVerifier();
    const challenge = await oauth.calculatePKCECodeChallenge(verifier);
    const link = `${f.t.url}/auth?${new URLSearchParams({ code_challenge: challenge, code_challenge_method: 'S256', key_label: 'Terminal agent' })}`;

    const user = await signUp(f.t, 'headless');
    await f.t.get(CreditsService).grant(user.id, usdToNanos(10), 'headless test credit');
    const page = await signedInPage(user);
    await page.goto(link);
    await page.getByRole('heading', { level: 1, name: 'Authorize app' }).waitFor();
    await page.getByText('No website is involved').waitFor();
    await page.getByText('Terminal agent').first().waitFor();
    expect(await checkAtBothSizes(page, 'oauth-headless-consent')).toEqual({ '1280x800': [], '390x844': [] });

    await page.getByLabel(/Spending limit in USD/).fill('3');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('heading', { level: 1, name: 'Paste this code into the app' }).waitFor();
    // Still our page: nothing was redirected anywhere.
    expect(new URL(page.url()).origin).toBe(f.t.url);
    const code = await page.getByLabel('Authorization code').inputValue();
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await page.getByText('expires in 10 minutes').waitFor();
    expect(await checkAtBothSizes(page, 'oauth-headless-code')).toEqual({ '1280x800': [], '390x844': [] });

    // The Copy button puts the code on the clipboard.
    await chromium.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: f.t.url });
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByText('Copied to the clipboard.').waitFor();
    expect(
      await page.evaluate(() =>
        (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText(),
      ),
    ).toBe(code);
    await page.close();

    // The code lives 10 minutes (a person copies it), not the redirect flow's 60 s.
    const [stored] = await sql<{ seconds: number }>(
      `SELECT EXTRACT(EPOCH FROM expires_at - created_at)::int AS seconds FROM oauth_authorization_codes WHERE user_id = $1`,
      [user.id],
    );
    expect(stored.seconds).toBeGreaterThanOrEqual(599);
    expect(stored.seconds).toBeLessThanOrEqual(601);

    // The app exchanges it, with no callback URL anywhere.
    const { key, userId } = await sdk().oAuth.exchangeAuthCodeForAPIKey({
      requestBody: { code, codeVerifier: verifier, codeChallengeMethod: 'S256' },
    });
    expect(userId).toBe(user.id);
    const openai = new OpenAI({ apiKey: key, baseURL: `${f.t.url}/api/v1`, maxRetries: 0 });
    const answer = await openai.chat.completions.create({ model: 'test/a-only', messages: [{ role: 'user', content: 'Say hello' }] });
    expect(answer.choices[0].message.content).toBe('Hello from fake-openai.');
    const me = await call<{ data: { label: string; limit: number } }>(f.t, 'GET', '/api/v1/key', { key });
    expect(me.body.data).toMatchObject({ limit: 3 });

    // The user sees it under the command-line apps, named as the app asked.
    const apps = await call<{ data: { name: string; origin: string | null; registered: boolean; keys: { name: string }[] }[] }>(
      f.t,
      'GET',
      '/api/v1/apps/authorized',
      { cookie: user.cookie },
    );
    expect(apps.body.data).toEqual([
      expect.objectContaining({
        name: 'Command-line apps',
        origin: null,
        registered: false,
        keys: [expect.objectContaining({ name: 'Terminal agent' })],
      }),
    ]);

    // A code works once.
    const again = await sdk()
      .oAuth.exchangeAuthCodeForAPIKey({ requestBody: { code, codeVerifier: verifier } })
      .catch((e: unknown) => e);
    expect((again as { statusCode?: number }).statusCode).toBe(403);
  });

  it('over HTTP: S256 is required, the verifier must match, a denial shows a page, and every command-line app is one app', async () => {
    const browser = await signedInBrowser(f.t, uniqueEmail('headless-http'));
    const { verifier, challenge } = pkcePair();
    const refused: Record<string, string>[] = [
      {},
      { code_challenge: challenge },
      { code_challenge: verifier, code_challenge_method: 'plain' },
      { code_challenge: 'short', code_challenge_method: 'S256' },
      { code_challenge: challenge, code_challenge_method: 'S256', key_label: 'x'.repeat(65) },
      { code_challenge: challenge, code_challenge_method: 'S256', limit: '-1' },
    ];
    for (const params of refused) {
      const res = await browser.go(`/auth?${new URLSearchParams(params)}`);
      expect([res.status, params]).toEqual([400, params]);
      expect(res.headers.get('location')).toBeNull();
    }
    const twice = await browser.go(`/auth?code_challenge=${challenge}&code_challenge=${challenge}&code_challenge_method=S256`);
    expect(twice.status).toBe(400);
    // An empty callback_url is a bad callback, not headless mode.
    expect((await browser.go(`/auth?callback_url=&code_challenge=${challenge}&code_challenge_method=S256`)).status).toBe(400);

    // The consent form may post only to us: no callback origin to allow.
    const consent = await browser.go(
      `/auth?${new URLSearchParams({ code_challenge: challenge, code_challenge_method: 'S256', state: 'ignored' })}`,
    );
    expect(consent.status).toBe(200);
    expect(consent.headers.get('content-security-policy')).toContain("form-action 'self';");
    const html = await consent.text();
    expect(html).toContain('A command-line app');
    const fields = hiddenFields(html);

    // Approved: the code page, not a redirect; the state goes nowhere.
    const approved = await browser.go('/oauth/consent', { form: { ...fields, decision: 'approve', limit: '', limit_reset: 'none' } });
    expect(approved.status).toBe(200);
    expect(approved.headers.get('location')).toBeNull();
    expect(approved.headers.get('cache-control')).toBe('no-store');
    const page = await approved.text();
    expect(page).not.toContain('ignored');
    const code = /id="auth-code"[^>]*>([A-Za-z0-9_-]{43})</.exec(page)![1];

    // A wrong verifier burns the code (403), as in the redirect flow.
    expect((await call(f.t, 'POST', '/api/v1/auth/keys', { body: { code, code_verifier: pkcePair().verifier } })).status).toBe(403);
    expect((await call(f.t, 'POST', '/api/v1/auth/keys', { body: { code, code_verifier: verifier } })).status).toBe(403);

    // Denied: a page says so; no code is issued.
    const codesBefore = await sql<{ n: number }>(`SELECT COUNT(*)::int AS n FROM oauth_authorization_codes`);
    const deniedPage = await browser.go(`/auth?${new URLSearchParams({ code_challenge: challenge, code_challenge_method: 'S256' })}`);
    const denied = await browser.go('/oauth/consent', { form: { ...hiddenFields(await deniedPage.text()), decision: 'deny' } });
    expect(denied.status).toBe(200);
    expect(denied.headers.get('location')).toBeNull();
    expect(await denied.text()).toContain('The app gets no key');
    expect(await sql<{ n: number }>(`SELECT COUNT(*)::int AS n FROM oauth_authorization_codes`)).toEqual(codesBefore);

    // Another user's command-line app is the same app; a redirect flow's app is not.
    const other = await signedInBrowser(f.t, uniqueEmail('headless-other'));
    const otherPage = await other.go(`/auth?${new URLSearchParams({ code_challenge: challenge, code_challenge_method: 'S256' })}`);
    expect(otherPage.status).toBe(200);
    await authorizeAndDecide(
      other,
      `/auth?${new URLSearchParams({ callback_url: 'https://cli.example/cb', code_challenge: challenge, code_challenge_method: 'S256' })}`,
    );
    expect(await sql<{ n: number }>(`SELECT COUNT(*)::int AS n FROM oauth_apps WHERE kind = 'headless'`)).toEqual([{ n: 1 }]);
  });

  it('a signed-out user signs in first and comes back to the same request', async () => {
    const { challenge } = pkcePair();
    const path = `/auth?${new URLSearchParams({ code_challenge: challenge, code_challenge_method: 'S256' })}`;
    const browser = new Browser(f.t.url);
    const first = await browser.go(path);
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe(`/sign-in?return_to=${encodeURIComponent(path)}`);
  });
});
