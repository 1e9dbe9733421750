import { call, uniqueEmail } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';
import { testRedisPrefix } from '../support/test-env';

const PASSWORD = 'correct horse battery staple';
const from = (address: string) => ({ 'x-forwarded-for': address });

describe('sign-up and sign-in under abuse', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      env: { TRUST_PROXY: 'true', SIGN_UPS_PER_ADDRESS_PER_HOUR: '5', REDIS_KEY_PREFIX: `${testRedisPrefix()}:abuse:${Date.now()}` },
    });
  });
  afterAll(() => t.close());

  it('sign-ups are throttled per client address', async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, () =>
        call(t, 'POST', '/api/v1/users', { headers: from('203.0.113.7'), body: { email: uniqueEmail('flood'), password: PASSWORD } }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
    const refused = results.find((r) => r.status === 429)!;
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    // The web form counts against the same limit.
    const page = await fetch(`${t.url}/sign-up`, { headers: from('203.0.113.7') });
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(await page.text())![1];
    const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0];
    const form = await fetch(`${t.url}/sign-up`, {
      method: 'POST',
      redirect: 'manual',
      headers: { ...from('203.0.113.7'), cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf_token: csrf, return_to: '/', email: uniqueEmail('form'), password: PASSWORD }).toString(),
    });
    expect(form.status).toBe(429);
    // Another address is not affected.
    expect(
      (await call(t, 'POST', '/api/v1/users', { headers: from('198.51.100.9'), body: { email: uniqueEmail('other'), password: PASSWORD } }))
        .status,
    ).toBe(201);
  });

  it('failed sign-ins from one address cannot lock the account owner out', async () => {
    const email = uniqueEmail('victim');
    expect((await call(t, 'POST', '/api/v1/users', { headers: from('198.51.100.20'), body: { email, password: PASSWORD } })).status).toBe(
      201,
    );
    const guesses = [];
    for (let i = 0; i < 12; i++)
      guesses.push(
        (await call(t, 'POST', '/api/v1/sessions', { headers: from('203.0.113.66'), body: { email, password: `wrong guess ${i}` } }))
          .status,
      );
    expect(guesses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(guesses.slice(10)).toEqual([429, 429]);
    // The attacker's address stays throttled for this account, even with the right password.
    expect((await call(t, 'POST', '/api/v1/sessions', { headers: from('203.0.113.66'), body: { email, password: PASSWORD } })).status).toBe(
      429,
    );
    // The owner, elsewhere, signs in.
    expect(
      (await call(t, 'POST', '/api/v1/sessions', { headers: from('198.51.100.20'), body: { email, password: PASSWORD } })).status,
    ).toBe(200);
  });
});
