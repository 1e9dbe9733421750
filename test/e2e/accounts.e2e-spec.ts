import { call, signUp, uniqueEmail } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';

describe('accounts: sign-up, sign-in, sessions', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('signs up, sets a secure-by-default session cookie, and knows who is signed in', async () => {
    const email = uniqueEmail();
    const res = await fetch(`${t.url}/api/v1/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `  ${email.toUpperCase()} `, password: 'correct horse battery staple', name: 'Ada' }),
    });
    expect(res.status).toBe(201);
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^sy_session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax$/);
    const me = await call<{ data: { email: string; name: string } }>(t, 'GET', '/api/v1/users/me', { cookie: setCookie.split(';')[0] });
    expect(me.status).toBe(200);
    expect(me.body.data).toMatchObject({ email, name: 'Ada' });
    expect(JSON.stringify(me.body)).not.toMatch(/password|hash/i);
  });

  it('signs in with the right password only; the same answer for an unknown email', async () => {
    const u = await signUp(t);
    const ok = await call(t, 'POST', '/api/v1/sessions', { body: { email: u.email, password: u.password } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('set-cookie')).toMatch(/^sy_session=/);
    const wrong = await call<{ error: { message: string } }>(t, 'POST', '/api/v1/sessions', {
      body: { email: u.email, password: 'not the password' },
    });
    const unknown = await call<{ error: { message: string } }>(t, 'POST', '/api/v1/sessions', {
      body: { email: uniqueEmail(), password: 'not the password' },
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.error.message).toBe(unknown.body.error.message);
    expect(wrong.headers.get('set-cookie')).toBeNull();
  });

  it('refuses a second account with the same email (any case)', async () => {
    const u = await signUp(t);
    const again = await call(t, 'POST', '/api/v1/users', { body: { email: u.email.toUpperCase(), password: 'another long password' } });
    expect(again.status).toBe(409);
  });

  it('signing out ends the session', async () => {
    const u = await signUp(t);
    const out = await fetch(`${t.url}/api/v1/sessions/current`, { method: 'DELETE', headers: { cookie: u.cookie } });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^sy_session=; .*Max-Age=0/);
    expect((await call(t, 'GET', '/api/v1/users/me', { cookie: u.cookie })).status).toBe(401);
  });

  it('limits sign-in attempts per address and email with 429 and rate-limit headers', async () => {
    const u = await signUp(t);
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 11; i++) {
      last = await call(t, 'POST', '/api/v1/sessions', { body: { email: u.email, password: `wrong password ${i}` } });
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses[10]).toBe(429);
    expect(last!.headers.get('x-ratelimit-limit')).toBe('10');
    expect(last!.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    // The right password is refused too while the window is full.
    expect((await call(t, 'POST', '/api/v1/sessions', { body: { email: u.email, password: u.password } })).status).toBe(429);
  });

  it.each([
    [{ email: 'not-an-email', password: 'long enough password' }, 'email'],
    [{ email: 'a@example.com', password: 'short' }, 'password'],
    [{ email: 'a@example.com', password: 'long enough password', admin: true }, 'admin'],
    [{ email: 'a@example.com', password: 12345678901 }, 'password'],
    [{ email: `${'x'.repeat(300)}@example.com`, password: 'long enough password' }, 'email'],
  ])('rejects bad sign-up input %j with a field message', async (body, field) => {
    const res = await call<{ error: { metadata: { fields: { field: string }[] } } }>(t, 'POST', '/api/v1/users', { body });
    expect(res.status).toBe(400);
    expect(res.body.error.metadata.fields.map((f) => f.field)).toContain(field);
  });

  it('a forged or expired-looking session cookie is not a session', async () => {
    for (const cookie of ['sy_session=forged', `sy_session=${'a'.repeat(43)}`, 'sy_session=%E0%A4%A', `sy_session=${'x'.repeat(5000)}`]) {
      expect((await call(t, 'GET', '/api/v1/users/me', { cookie })).status).toBe(401);
    }
  });
});
