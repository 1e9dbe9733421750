import { CreditsService } from '../../src/credits/credits.service';
import { usdToNanos } from '../../src/common/money/money';
import { call } from '../support/factories';
import { Browser, hiddenFields, pkcePair, registerApp, signedInBrowser } from '../support/oauth-browser';
import { sql } from '../support/sql';
import { createTestApp, TestApp } from '../support/test-app';

const DELAY_MS = 800;

function authUrl(params: Record<string, string> = {}): string {
  const { challenge } = pkcePair();
  return `/auth?${new URLSearchParams({ callback_url: 'https://consent.example/cb', code_challenge: challenge, code_challenge_method: 'S256', ...params })}`;
}

describe('the consent page', () => {
  let t: TestApp;
  let browser: Browser;
  let userId: string;

  beforeAll(async () => {
    t = await createTestApp({ env: { OAUTH_CONSENT_DELAY_MS: String(DELAY_MS), OAUTH_DEFAULT_LIMIT_USD: '10' } });
    browser = await signedInBrowser(t, `consent-${Date.now()}@example.com`);
    const me = await fetch(`${t.url}/api/v1/users/me`, { headers: { cookie: `sy_session=${browser.cookies.get('sy_session')}` } });
    userId = ((await me.json()) as { data: { id: string } }).data.id;
    await t.get(CreditsService).grant(userId, usdToNanos('12.34'), 'consent test');
  });
  afterAll(() => t.close());

  it('defaults a spending limit when the app asks for none, and shows the balance', async () => {
    const page = await browser.go(authUrl());
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('name="limit" value="10"');
    expect(html).toMatch(/balance[^<]*<strong>\$12\.34<\/strong>/i);
  });

  it('refuses an approval that comes before the page could be read, and accepts it after', async () => {
    const page = await browser.go(authUrl());
    const fields = hiddenFields(await page.text());
    const hasty = await browser.go('/oauth/consent', { form: { ...fields, decision: 'approve', limit: '3', limit_reset: 'none' } });
    expect(hasty.status).toBe(400);
    expect(await hasty.text()).toMatch(/review/i);
    expect(
      await sql('SELECT 1 FROM oauth_authorization_codes c JOIN oauth_authorization_requests r ON r.user_id = c.user_id WHERE r.id = $1', [
        fields.request_id,
      ]),
    ).toEqual([]);
    await new Promise((r) => setTimeout(r, DELAY_MS + 100));
    const approved = await browser.go('/oauth/consent', { form: { ...fields, decision: 'approve', limit: '3', limit_reset: 'none' } });
    expect(approved.status).toBe(303);
    expect(new URL(approved.headers.get('location')!).searchParams.get('code')).toBeTruthy();
  });

  it('arms Approve only from a same-origin script (no inline script under the CSP)', async () => {
    const page = await browser.go(authUrl());
    const html = await page.text();
    expect(page.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    expect(html).toMatch(/<script src="\/assets\/consent\.js" defer><\/script>/);
    expect(html).toContain(`data-approve-delay-ms="${DELAY_MS}"`);
    expect(html).not.toMatch(/<script>|onclick=|onload=/);
    const js = await fetch(`${t.url}/assets/consent.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(await js.text()).toMatch(/hasFocus/);
  });

  it.each([
    ['a long label', 'x'.repeat(65)],
    ['a right-to-left override', 'Official\u202EppA'],
    ['a zero-width joiner', 'Pay\u200Dpal'],
  ])('refuses a key_label with %s', async (_name, label) => {
    const page = await browser.go(authUrl({ key_label: label }));
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('key_label');
  });

  it('shows a bounded label as the app’s words, escaped', async () => {
    const page = await browser.go(authUrl({ key_label: '<b>Switchyard staff</b>' }));
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('&lt;b&gt;Switchyard staff&lt;/b&gt;');
    expect(html).toMatch(/named by the app/i);
  });

  it.each([
    'https://consent.example/cb?code=attacker',
    'https://consent.example/cb?x=1&state=s',
    'https://consent.example/cb?error=x',
    'https://consent.example/cb?iss=https://evil.example',
  ])('refuses the callback URL %s', async (callback) => {
    const { challenge } = pkcePair();
    const page = await browser.go(
      `/auth?${new URLSearchParams({ callback_url: callback, code_challenge: challenge, code_challenge_method: 'S256' })}`,
    );
    expect(page.status).toBe(400);
    expect(await page.text()).toMatch(/callback_url/);
  });

  it('refuses to register a redirect URI that carries code or state', async () => {
    const cookie = `sy_session=${browser.cookies.get('sy_session')}`;
    await expect(registerApp(t, cookie, { redirect_uris: ['https://consent.example/cb?code=1'] })).rejects.toThrow(/400/);
    const res = await call(t, 'POST', '/api/v1/oauth/apps', {
      cookie,
      body: { name: 'x', redirect_uris: ['https://consent.example/cb?state=1'] },
    });
    expect(res.status).toBe(400);
  });
});
