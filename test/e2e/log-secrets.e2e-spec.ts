import { FakeStripe, startFakeStripe } from '../support/fake-stripe';
import { call, createKey, signUp } from '../support/factories';
import { Browser, hiddenFields, pkcePair, signedInBrowser } from '../support/oauth-browser';
import { sql } from '../support/sql';
import { createTestApp, TestApp } from '../support/test-app';
import { testRedisPrefix } from '../support/test-env';

const STRIPE_SECRET = 'sk_test_logscan0123456789abcdef';
const WEBHOOK_SECRET = 'whsec_logscan0123456789abcdef';
/**
 * A valid address of 219 characters that has 281 once lower-cased: "İ" (U+0130) lower-cases to two
 * UTF-16 units ("i" and a combining dot).
 */
const label = `${'a'.repeat(50)}${'İ'.repeat(10)}`;
const GROWING_EMAIL = `${'İ'.repeat(32)}@${label}.${label}.${label}.com`;

/** Shapes of secrets that must never appear in a log line, whatever they belong to. */
const SECRET_SHAPES: [string, RegExp][] = [
  ['scrypt password hash', /scrypt\$\d+\$\d+\$\d+\$/],
  ['API key', /sk-sy-v1-[0-9a-f]{64}/],
  ['Stripe secret key', /\b[sr]k_(test|live)_[A-Za-z0-9]{8,}/],
  ['Stripe webhook secret', /whsec_[A-Za-z0-9]{8,}/],
];

/**
 * Runs account, key, OAuth, inference-key and top-up traffic (failures included: a 255+ character
 * email after lower-casing used to fail its insert and log the parameters) with every log line
 * captured at debug level, then scans the lines for the secrets the traffic handled.
 */
describe('no secrets in the logs', () => {
  let t: TestApp;
  let stripe: FakeStripe;
  const secrets: { what: string; value: string }[] = [];

  beforeAll(async () => {
    stripe = await startFakeStripe();
    t = await createTestApp({
      captureLogs: true,
      env: {
        STRIPE_SECRET_KEY: STRIPE_SECRET,
        STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
        STRIPE_API_BASE: stripe.url,
        REDIS_KEY_PREFIX: `${testRedisPrefix()}:logscan`,
      },
    });
    secrets.push({ what: 'Stripe secret key', value: STRIPE_SECRET }, { what: 'webhook secret', value: WEBHOOK_SECRET });
  });
  afterAll(async () => {
    await t.close();
    await stripe.close();
  });

  it('a 255+ character email (after lower-casing) is a 400, not a 500', async () => {
    expect([GROWING_EMAIL.length, GROWING_EMAIL.toLowerCase().length]).toEqual([219, 281]);
    const email = GROWING_EMAIL;
    const res = await call<{ error: { metadata: { error_type: string } } }>(t, 'POST', '/api/v1/users', {
      body: { email, password: 'correct horse battery staple' },
    });
    expect([res.status, res.body.error.metadata.error_type]).toEqual([400, 'validation_failed']);
    // The sign-up form too.
    const browser = new Browser(t.url);
    const form = await browser.go('/sign-up');
    const posted = await browser.go('/sign-up', {
      form: { ...hiddenFields(await form.text()), email, password: 'correct horse battery staple' },
    });
    expect(posted.status).toBe(400);
    expect(await posted.text()).toMatch(/254 characters/);
  });

  it('account, key, OAuth and top-up traffic leaves no secret in any log line', async () => {
    const user = await signUp(t, 'logscan');
    secrets.push({ what: 'session token', value: user.cookie.split('=')[1] });
    const [{ password_hash: hash }] = await sql<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [user.id]);
    secrets.push({ what: 'password hash', value: hash });
    await call(t, 'POST', '/api/v1/users', { body: { email: user.email, password: 'another password here' } }); // taken
    await call(t, 'POST', '/api/v1/users', { body: { email: GROWING_EMAIL, password: 'correct horse battery staple' } });
    await call(t, 'POST', '/api/v1/sessions', { body: { email: user.email, password: 'wrong password!' } });
    const signedIn = await fetch(`${t.url}/api/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: user.email, password: user.password }),
    });
    secrets.push({ what: 'second session token', value: (signedIn.headers.get('set-cookie') ?? '').split(';')[0].split('=')[1] });

    const key = await createKey(t, { cookie: user.cookie });
    secrets.push({ what: 'API key', value: key.key }, { what: 'API key hash', value: key.hash });
    const mgmt = await createKey(t, { cookie: user.cookie }, { management: true });
    secrets.push({ what: 'management key', value: mgmt.key }, { what: 'management key hash', value: mgmt.hash });
    await call(t, 'GET', '/api/v1/key', { key: key.key });
    await call(t, 'GET', '/api/v1/keys', { key: key.key }); // refused: not a management key
    await call(t, 'GET', `/api/v1/keys/${key.hash}`, { key: mgmt.key });
    await call(t, 'PATCH', `/api/v1/keys/${key.hash}`, { key: mgmt.key, body: { disabled: 'no' } });
    await call(t, 'DELETE', `/api/v1/keys/${key.hash}`, { cookie: user.cookie });
    await call(t, 'GET', '/api/v1/key', { key: key.key }); // now revoked
    await call(
      t,
      'GET',
      `/api/v1/credits/ledger?before=${Buffer.from(`2026-13-01T00:00:00.000000Z|${'-'.repeat(36)}`).toString('base64url')}`,
      { cookie: user.cookie },
    );

    // The OpenRouter-style flow: the code travels in a redirect and in the exchange body.
    const browser: Browser = await signedInBrowser(t, `oauth-${Date.now()}@example.com`);
    secrets.push({ what: 'browser session token', value: browser.cookies.get('sy_session')! });
    const { verifier, challenge } = pkcePair();
    const page = await browser.go(
      `/auth?${new URLSearchParams({ callback_url: 'https://logscan.example/cb', code_challenge: challenge, code_challenge_method: 'S256' })}`,
    );
    const html = await page.text();
    expect(page.status).toBe(200);
    const approved = await browser.go('/oauth/consent', {
      form: { ...hiddenFields(html), decision: 'approve', limit: '1', limit_reset: 'none' },
    });
    expect(approved.status).toBe(303);
    const code = new URL(approved.headers.get('location')!).searchParams.get('code')!;
    secrets.push({ what: 'OAuth code', value: code }, { what: 'PKCE verifier', value: verifier });
    const exchanged = await call<{ key: string }>(t, 'POST', '/api/v1/auth/keys', {
      body: { code, code_verifier: verifier, code_challenge_method: 'S256' },
    });
    expect(exchanged.status).toBe(200);
    secrets.push({ what: 'app key', value: exchanged.body.key });
    await call(t, 'POST', '/api/v1/auth/keys', { body: { code, code_verifier: verifier, code_challenge_method: 'S256' } }); // replay
    await fetch(`${t.url}/auth/oidc/callback?code=${code}&state=x`); // a code in a query string

    // A top-up, and one that Stripe refuses.
    await call(t, 'POST', '/api/v1/credits/checkout', { cookie: user.cookie, body: { amount: 20 } });
    stripe.failWith = 500;
    await call(t, 'POST', '/api/v1/credits/checkout', { cookie: user.cookie, body: { amount: 25 } });
    stripe.failWith = null;

    await new Promise((r) => setTimeout(r, 300)); // asynchronous log writes
    expect(t.logs.length).toBeGreaterThan(20);
    const leaks: string[] = [];
    for (const line of t.logs) {
      for (const s of secrets) if (s.value && line.includes(s.value)) leaks.push(`${s.what}: ${line.slice(0, 300)}`);
      for (const [what, shape] of SECRET_SHAPES) if (shape.test(line)) leaks.push(`${what} (shape): ${line.slice(0, 300)}`);
    }
    expect(leaks).toEqual([]);
  });
});
