import { createServer } from 'node:net';
import { join } from 'node:path';
import OpenAI from 'openai';
import type { Page } from 'playwright-core';
import { DataSource } from 'typeorm';
import { TopupsWorkerModule } from '../../src/credits/topups/topups-worker.module';
import { TopupsModule } from '../../src/credits/topups/topups.module';
import { call, uniqueEmail } from '../support/factories';
import { FakeStripe, startFakeStripe } from '../support/fake-stripe';
import { GatewayFixture, startGatewayFixture } from '../support/gateway-fixture';
import { ARTIFACTS, Chromium, checkAtBothSizes, launchChromium } from '../support/chromium';
import { pkcePair } from '../support/oauth-browser';
import { stripeWebhooks } from '../support/stripe-webhooks';
import { testRedisPrefix } from '../support/test-env';

const SECRET = 'whsec_console';
const PASSWORD = 'a long enough password';
const APP_CALLBACK = 'https://app.example.test/callback';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the end-user console in Chromium', () => {
  let f: GatewayFixture;
  let fake: FakeStripe;
  let browser: Chromium;
  let page: Page;
  let base: string;
  const violations: Record<string, unknown> = {};

  beforeAll(async () => {
    fake = await startFakeStripe();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    f = await startGatewayFixture({
      port,
      env: {
        PUBLIC_URL: base,
        STRIPE_SECRET_KEY: 'sk_test_console',
        STRIPE_WEBHOOK_SECRET: SECRET,
        STRIPE_API_BASE: fake.url,
        REDIS_KEY_PREFIX: `${testRedisPrefix()}:console-browser`,
      },
      imports: [TopupsModule, TopupsWorkerModule],
    });
    browser = await launchChromium();
    page = await browser.context.newPage();
    // Stripe's hosted Checkout page and the third-party app's callback are not on this machine.
    await page.route('https://checkout.stripe.com/**', (route) =>
      route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>Checkout</title><h1>Fake Checkout</h1>' }),
    );
    await page.route(`${APP_CALLBACK}**`, (route) =>
      route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>App</title><h1>Signed in</h1>' }),
    );
    page.setDefaultTimeout(10_000);
    page.on('dialog', (d) => void d.accept());
  }, 60_000);

  afterAll(async () => {
    // Where the journey stopped, when it did not finish.
    await page?.screenshot({ path: join(ARTIFACTS, 'last.png'), fullPage: true }).catch(() => undefined);
    await browser?.close();
    await f?.close();
    await fake?.close();
  });

  /** Screenshots and axe at both sizes; violations are collected and asserted at the end. */
  async function check(name: string): Promise<void> {
    const found = await checkAtBothSizes(page, name);
    for (const [size, list] of Object.entries(found)) if (list.length) violations[`${name} ${size}`] = list;
  }

  it('a new user signs up, tops up, creates a key, caps it, uses it, and sees it in Logs, Activity and Credits; an app is approved, capped and revoked', async () => {
    const email = uniqueEmail('journey');

    // Sign up on the form; land on the console.
    await page.goto(`${base}/sign-up`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password (at least 10 characters)').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${base}/`);
    await expectText(page.getByRole('heading', { level: 1 }), 'Overview');
    await check('overview-empty');

    // Credits: a preset amount, the fee and total from the server, then Stripe.
    await page.getByRole('link', { name: 'Credits' }).first().click();
    await page.getByRole('button', { name: '$25' }).click();
    await expectText(page.getByTestId('quote-fee'), '$1.38');
    await expectText(page.getByTestId('quote-total'), '$26.38');
    await check('credits-quote');
    await page.getByRole('button', { name: /Pay \$26\.38/ }).click();
    await page.waitForURL('https://checkout.stripe.com/**');
    const sessionId = new URL(page.url()).pathname.split('/').pop()!;
    const session = fake.sessions.get(sessionId)!;
    expect(session.success_url).toMatch(new RegExp(`^${base}/credits\\?topup=`));

    // The payment completes; Stripe's signed webhook credits it; the return page shows the state.
    const hooks = stripeWebhooks(f.t, fake, SECRET);
    fake.markPaid(sessionId);
    const ev = hooks.sessionEvent('checkout.session.completed', sessionId);
    const res = await hooks.deliver(ev);
    expect(res.status).toBe(200);
    await hooks.processed(ev.id);
    await page.goto(session.success_url as string);
    await expectText(page.getByTestId('topup-state'), 'Paid: $25.00 was added to your balance.');
    await expectText(page.getByTestId('balance'), '$25.00');
    await check('credits-paid');

    // Keys: create one with a daily limit; it is shown once, with a working copy button.
    await page.getByRole('link', { name: 'Keys' }).first().click();
    await page.getByLabel('Name').fill('journey key');
    await page.getByLabel('Spending limit in USD (empty for none)').fill('5');
    await page.getByLabel('Limit resets').selectOption('daily');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = await page.getByTestId('new-key').inputValue();
    expect(key).toMatch(/^sk-sy-v1-/);
    // The button is the page script's (progressive enhancement): wait for it rather than race it.
    await page.getByRole('button', { name: 'Copy' }).waitFor({ state: 'visible', timeout: 10_000 });
    await check('keys-created');
    await page.goto(`${base}/keys`);
    expect(await page.content()).not.toContain(key);
    await check('keys');

    // Limits: a daily cap for the whole account.
    await page.getByRole('link', { name: 'Limits' }).first().click();
    await page.getByLabel('Daily cap in USD (empty for none)').fill('10');
    await page.getByRole('button', { name: 'Save caps' }).click();
    await expectText(page.getByRole('status').first(), 'Your limits were saved.');
    await check('limits');

    // The key works through the OpenAI client.
    const client = new OpenAI({ apiKey: key, baseURL: `${base}/api/v1`, maxRetries: 0 });
    const completion = await client.chat.completions.create({ model: 'test/chat', messages: [{ role: 'user', content: 'hello console' }] });
    expect(completion.usage?.total_tokens).toBeGreaterThan(0);

    // Logs: the request appears (records are written off the request path), with its detail.
    await until('the request in Logs', async () => {
      await page.goto(`${base}/logs`);
      return (await page.locator('a[href^="/logs/gen-"]').count()) > 0;
    });
    await check('logs');
    await page.locator('a[href^="/logs/gen-"]').first().click();
    await expectText(page.getByRole('heading', { level: 1 }), 'Request details');
    expect(await page.getByText('test/chat').count()).toBeGreaterThan(0);
    await check('log-detail');

    // Activity and Credits show the spend.
    await page.getByRole('link', { name: 'Activity' }).first().click();
    const spend = await page.getByTestId('activity-spend').innerText();
    expect(spend).not.toBe('$0.00');
    await expectText(page.getByTestId('activity-requests'), '1');
    await check('activity');
    await page.getByRole('link', { name: 'Credits' }).first().click();
    const balance = await page.getByTestId('balance').innerText();
    expect(balance).not.toBe('$25.00');
    expect(Number(balance.replace(/[$,]/g, ''))).toBeLessThan(25);
    expect(await page.getByTestId('total-usage').innerText()).toBe(spend);
    await check('credits-after-use');

    // A third-party app runs the PKCE flow; the signed-in user approves it.
    const { verifier, challenge } = pkcePair();
    await page.goto(
      `${base}/auth?${new URLSearchParams({ callback_url: APP_CALLBACK, code_challenge: challenge, code_challenge_method: 'S256', key_label: 'Journey App', limit: '3' })}`,
    );
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(`${APP_CALLBACK}**`);
    const code = new URL(page.url()).searchParams.get('code')!;
    const exchanged = await call<{ key: string }>(f.t, 'POST', '/api/v1/auth/keys', {
      body: { code, code_verifier: verifier, code_challenge_method: 'S256' },
    });
    expect(exchanged.status).toBe(200);
    const appKey = exchanged.body.key;
    expect((await call(f.t, 'GET', '/api/v1/key', { key: appKey })).status).toBe(200);

    // Apps: the app is listed; lower its cap, then revoke it.
    await page.goto(`${base}/apps`);
    const app = page.locator('section.card').filter({ hasText: 'app.example.test' });
    await expect(app.count()).resolves.toBe(1);
    await check('apps');
    await app.getByLabel('Limit in USD (empty for none)').fill('1');
    await app.getByRole('button', { name: 'Change limit' }).click();
    await expectText(page.getByRole('status').first(), "The app's limit was changed.");
    const info = await call<{ data: { limit: number } }>(f.t, 'GET', '/api/v1/key', { key: appKey });
    expect(info.body.data.limit).toBe(1);
    await page.getByRole('button', { name: /^Revoke/ }).click();
    await expectText(page.getByRole('status').first(), "The app's keys were revoked");
    await until('the app key to stop', async () => (await call(f.t, 'GET', '/api/v1/key', { key: appKey })).status === 401, 1_000);
    await check('apps-empty');

    // The remaining pages.
    for (const [path, name] of [
      ['/models', 'models'],
      ['/settings', 'settings'],
      ['/', 'overview'],
    ] as const) {
      await page.goto(`${base}${path}`);
      await check(name);
    }
    // Keyboard: the skip link is the first stop and moves focus to the content.
    await page.keyboard.press('Tab');
    await expect(
      page.evaluate(
        () =>
          (globalThis as unknown as { document: { activeElement: { textContent: string } | null } }).document.activeElement?.textContent,
      ),
    ).resolves.toBe('Skip to content');

    // Sign out from the layout.
    await page.getByRole('button', { name: /Sign out/ }).click();
    await page.waitForURL(`${base}/sign-in`);
    await check('sign-in');
    expect(violations).toEqual({});
    expect(
      (
        await f.t
          .get(DataSource)
          .query(`SELECT count(*)::int AS n FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE u.email = $1`, [email])
      )[0].n,
    ).toBe(0);
  }, 180_000);
});

async function expectText(locator: { innerText(): Promise<string> }, text: string): Promise<void> {
  expect((await locator.innerText()).trim()).toContain(text);
}
