import { createServer, Server, Socket } from 'node:net';
import { loadConfig } from '../../src/common/config/app-config';
import { AppLogger, createRootLogger } from '../../src/common/logging/app-logger';
import { Mailer } from '../../src/common/mail/mailer';
import { AccountEmailService } from '../../src/users/account-email.service';
import { AccountLinksService } from '../../src/users/account-links.service';
import { UsersService } from '../../src/users/users.service';
import { call, createKey, signUp, uniqueEmail } from '../support/factories';
import { Browser, hiddenFields } from '../support/oauth-browser';
import { freePort } from '../support/processes';
import { linkIn, SmtpSink, startSmtpSink } from '../support/smtp-sink';
import { sql } from '../support/sql';
import { createTestApp, TestApp } from '../support/test-app';
import { testRedisPrefix } from '../support/test-env';

const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'a brand new password 42';

const signIn = (t: TestApp, email: string, password: string) => call(t, 'POST', '/api/v1/sessions', { body: { email, password } });

describe('account mail: address verification and password reset', () => {
  let t: TestApp;
  let smtp: SmtpSink;
  let base: string;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await createTestApp({
      port,
      env: {
        PORT: String(port),
        PUBLIC_URL: base,
        SMTP_URL: smtp.url,
        MAIL_FROM: 'Switchyard <accounts@switchyard.test>',
        REDIS_KEY_PREFIX: `${testRedisPrefix()}:mail:${Date.now()}`,
      },
    });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  it('sign-up mails a confirmation link; its page confirms the address once', async () => {
    const user = await signUp(t, 'verify');
    const mail = await smtp.next(user.email);
    expect(mail.from).toBe('accounts@switchyard.test');
    const link = linkIn(mail, '/verify-email');
    expect(link.origin).toBe(base);
    expect(
      (await call<{ data: { email_verified: boolean } }>(t, 'GET', '/api/v1/users/me', { cookie: user.cookie })).body.data.email_verified,
    ).toBe(false);

    const browser = new Browser(base);
    const page = await browser.go(link.pathname + link.search);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain(user.email);
    // Opening the link (as mail scanners do) confirms nothing; the button does.
    expect(
      (await call<{ data: { email_verified: boolean } }>(t, 'GET', '/api/v1/users/me', { cookie: user.cookie })).body.data.email_verified,
    ).toBe(false);
    const confirmed = await browser.go('/verify-email', { form: hiddenFields(html) });
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toMatch(/confirmed/i);
    expect(
      (await call<{ data: { email_verified: boolean } }>(t, 'GET', '/api/v1/users/me', { cookie: user.cookie })).body.data.email_verified,
    ).toBe(true);
    expect((await browser.go(link.pathname + link.search)).status).toBe(400);
    expect((await browser.go('/verify-email', { form: hiddenFields(html) })).status).toBe(400);
    // A verified address gets no more confirmation mail.
    expect(await t.get(AccountEmailService).sendVerification(user.id)).toBe('already_verified');
  });

  it('the web sign-up form mails a confirmation link too', async () => {
    const browser = new Browser(base);
    const form = await browser.go('/sign-up');
    const email = uniqueEmail('form-verify');
    const posted = await browser.go('/sign-up', { form: { ...hiddenFields(await form.text()), email, password: PASSWORD } });
    expect(posted.status).toBe(303);
    linkIn(await smtp.next(email), '/verify-email');
  });

  it('forgot password: the same answer for any address, a link only to real accounts; the reset ends every session', async () => {
    const user = await signUp(t, 'reset');
    await smtp.next(user.email); // the confirmation mail
    const browser = new Browser(base);
    const signInPage = await (await browser.go('/sign-in')).text();
    expect(signInPage).toContain('href="/forgot-password"');
    const form = await browser.go('/forgot-password');
    const fields = hiddenFields(await form.text());
    const nobody = uniqueEmail('nobody');
    const unknown = await browser.go('/forgot-password', { form: { ...fields, email: nobody } });
    const known = await browser.go('/forgot-password', { form: { ...fields, email: user.email.toUpperCase() } });
    expect([unknown.status, known.status]).toEqual([200, 200]);
    expect(await unknown.text()).toBe(await known.text());
    const link = linkIn(await smtp.next(user.email), '/reset-password');
    expect(smtp.mails.some((m) => m.to.includes(nobody))).toBe(false);

    const page = await browser.go(link.pathname + link.search);
    const resetFields = hiddenFields(await page.text());
    expect((await browser.go('/reset-password', { form: { ...resetFields, password: 'short' } })).status).toBe(400);
    const done = await browser.go('/reset-password', { form: { ...resetFields, password: NEW_PASSWORD } });
    expect(done.status).toBe(200);
    expect((await signIn(t, user.email, PASSWORD)).status).toBe(401);
    expect((await signIn(t, user.email, NEW_PASSWORD)).status).toBe(200);
    expect((await call(t, 'GET', '/api/v1/users/me', { cookie: user.cookie })).status).toBe(401);
    expect((await browser.go('/reset-password', { form: { ...resetFields, password: 'yet another password' } })).status).toBe(400);
    // The reset proved the address.
    const [row] = await sql<{ email_verified: boolean }>('SELECT email_verified FROM users WHERE id = $1', [user.id]);
    expect(row.email_verified).toBe(true);
  });

  it('pre-hijacking: an unconfirmed account is never linked to single sign-on; the owner takes it back by a reset', async () => {
    // The squatter signs up with the victim's address and mints a management key.
    const squatter = await signUp(t, 'victim');
    await smtp.next(squatter.email);
    const mgmt = await createKey(t, { cookie: squatter.cookie }, { management: true });
    const users = t.get(UsersService);
    const identity = { issuer: 'https://idp.example', subject: `sub-${Date.now()}`, email: squatter.email, emailVerified: true };
    await expect(users.findOrCreateFromIdentity(identity)).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/not confirmed/),
    });
    expect(await sql('SELECT 1 FROM user_identities WHERE subject = $1', [identity.subject])).toEqual([]);

    // The owner resets the password from their mailbox: the squatter's password, session and keys die.
    await t.get(AccountEmailService).requestPasswordReset({ email: squatter.email, clientIp: '127.0.0.1' });
    const link = linkIn(await smtp.next(squatter.email), '/reset-password');
    await t.get(AccountLinksService).resetPassword({ token: link.searchParams.get('token')!, password: NEW_PASSWORD });
    expect((await signIn(t, squatter.email, squatter.password)).status).toBe(401);
    expect((await call(t, 'GET', '/api/v1/users/me', { cookie: squatter.cookie })).status).toBe(401);
    expect((await call(t, 'GET', '/api/v1/keys', { key: mgmt.key })).status).toBe(401);
    // Now the identity links to the account.
    expect((await users.findOrCreateFromIdentity(identity)).id).toBe(squatter.id);
  });

  it('a reset of a confirmed account keeps its keys', async () => {
    const user = await signUp(t, 'keeps-keys');
    const confirm = linkIn(await smtp.next(user.email), '/verify-email');
    await t.get(AccountLinksService).verifyEmail(confirm.searchParams.get('token')!);
    const key = await createKey(t, { cookie: user.cookie });
    await t.get(AccountEmailService).requestPasswordReset({ email: user.email, clientIp: '127.0.0.2' });
    const link = linkIn(await smtp.next(user.email), '/reset-password');
    await t.get(AccountLinksService).resetPassword({ token: link.searchParams.get('token')!, password: NEW_PASSWORD });
    expect((await call(t, 'GET', '/api/v1/key', { key: key.key })).status).toBe(200);
  });

  it('a refused mail does not fail sign-up, nor tell "forgot password" anything', async () => {
    smtp.refuseWith = 'mailbox unavailable';
    try {
      const user = await signUp(t, 'refused');
      const browser = new Browser(base);
      const form = await browser.go('/forgot-password');
      const res = await browser.go('/forgot-password', { form: { ...hiddenFields(await form.text()), email: user.email } });
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/If an account has this address/);
    } finally {
      smtp.refuseWith = null;
    }
  });

  it('the same through the JSON API', async () => {
    const user = await signUp(t, 'json');
    await smtp.next(user.email);
    const again = await call<{ data: { status: string } }>(t, 'POST', '/api/v1/users/me/email-verification', { cookie: user.cookie });
    expect([again.status, again.body.data.status]).toEqual([202, 'sent']);
    const confirm = linkIn(await smtp.next(user.email), '/verify-email');
    const verified = await call<{ data: { email_verified: boolean } }>(t, 'POST', '/api/v1/email-verifications', {
      body: { token: confirm.searchParams.get('token') },
    });
    expect([verified.status, verified.body.data.email_verified]).toEqual([200, true]);
    expect((await call(t, 'POST', '/api/v1/email-verifications', { body: { token: confirm.searchParams.get('token') } })).status).toBe(400);
    expect((await call(t, 'POST', '/api/v1/users/me/email-verification', {})).status).toBe(401);

    const asked = await call(t, 'POST', '/api/v1/password-resets', { body: { email: user.email } });
    const unknown = await call(t, 'POST', '/api/v1/password-resets', { body: { email: uniqueEmail('ghost') } });
    expect([asked.status, unknown.status]).toEqual([202, 202]);
    expect(asked.body).toEqual(unknown.body);
    const reset = linkIn(await smtp.next(user.email), '/reset-password');
    expect(
      (await call(t, 'POST', '/api/v1/password-resets/confirm', { body: { token: reset.searchParams.get('token'), password: 'short' } }))
        .status,
    ).toBe(400);
    const done = await call(t, 'POST', '/api/v1/password-resets/confirm', {
      body: { token: reset.searchParams.get('token'), password: NEW_PASSWORD },
    });
    expect(done.status).toBe(200);
    expect((await signIn(t, user.email, NEW_PASSWORD)).status).toBe(200);
    expect(
      (
        await call(t, 'POST', '/api/v1/password-resets/confirm', {
          body: { token: reset.searchParams.get('token'), password: NEW_PASSWORD },
        })
      ).status,
    ).toBe(400);
  });

  it('Settings: an unconfirmed address gets a "Send confirmation link" button that says what happened (sent, failed, too many, already verified), and a reset-by-email link', async () => {
    const user = await signUp(t, 'settings-mail');
    await smtp.next(user.email); // the sign-up mail
    const browser = new Browser(base);
    browser.cookies.set('sy_session', user.cookie.split('=')[1]);
    const page = await (await browser.go('/settings')).text();
    expect(page).toContain('<button type="submit">Send confirmation link</button>');
    expect(page).toContain('href="/forgot-password"');
    // The link leads to the reset form even while signed in.
    const forgot = await browser.go('/forgot-password');
    expect(forgot.status).toBe(200);
    expect(await forgot.text()).toContain('name="email"');
    const form = { csrf_token: hiddenFields(page).csrf_token };

    // Without the form token nothing is sent.
    expect((await browser.go('/settings/email-verification', { form: {} })).status).toBe(403);

    const sent = await browser.go('/settings/email-verification', { form });
    expect(sent.status).toBe(200);
    expect(await sent.text()).toContain(`We sent a confirmation link to ${user.email}.`);
    const link = linkIn(await smtp.next(user.email), '/verify-email');

    smtp.refuseWith = 'mailbox unavailable';
    try {
      const failed = await browser.go('/settings/email-verification', { form });
      expect(failed.status).toBe(503);
      expect(failed.headers.get('retry-after')).toBeTruthy();
      expect(await failed.text()).toContain('The mail server did not take the message');
    } finally {
      smtp.refuseWith = null;
    }

    // Five an hour per user (the sign-up mail included): the next answers 429 on the same page.
    let limited: Response | null = null;
    for (let i = 0; i < 6 && !limited; i++) {
      const res = await browser.go('/settings/email-verification', { form });
      if (res.status === 429) limited = res;
      else expect(res.status).toBe(200);
    }
    expect(limited).not.toBeNull();
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    const limitedHtml = await limited!.text();
    expect(limitedHtml).toContain('Too many confirmation emails');
    expect(limitedHtml).toContain('<h2 id="account-h">Account</h2>');

    const confirmPage = await browser.go(link.pathname + link.search);
    expect((await browser.go('/verify-email', { form: hiddenFields(await confirmPage.text()) })).status).toBe(200);
    const verified = await (await browser.go('/settings')).text();
    expect(verified).not.toContain('Send confirmation link');
    expect(verified).toContain('href="/forgot-password"');
    const already = await browser.go('/settings/email-verification', { form });
    expect(already.status).toBe(200);
    expect(await already.text()).toContain('Your address is already verified.');
  });

  it('a wrong or malformed link shows an error page', async () => {
    for (const path of ['/verify-email?token=nope', `/reset-password?token=${'A'.repeat(43)}`, '/reset-password']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(400);
      expect(await res.text()).toMatch(/invalid, expired or already used/);
    }
  });
});

describe('Mailer', () => {
  function mailer(env: Record<string, string>): { mailer: Mailer; lines: string[] } {
    const lines: string[] = [];
    const logger = new AppLogger(createRootLogger('info', { write: (l: string) => void lines.push(l) }));
    return { mailer: new Mailer(loadConfig(env), logger), lines };
  }
  const message = {
    to: 'someone@example.com',
    subject: 'Reset',
    text: 'open http://localhost:8080/reset-password?token=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  };

  it('gives up on a server that never answers within MAIL_TIMEOUT_MS, and says so', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => void sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    const { mailer: m, lines } = mailer({ SMTP_URL: `smtp://127.0.0.1:${port}`, MAIL_TIMEOUT_MS: '1000' });
    const started = Date.now();
    expect(await m.send(message)).toBe('failed');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(lines.join('\n')).toMatch(/mail not sent/);
    expect(lines.join('\n')).not.toContain('token=');
    m.onModuleDestroy();
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  });

  it('without SMTP_URL writes the message to the log in development only', async () => {
    const dev = mailer({ NODE_ENV: 'development' });
    expect(await dev.mailer.send(message)).toBe('logged');
    expect(dev.lines.join('\n')).toContain('reset-password?token=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG');
    for (const env of ['production', 'test']) {
      const other = mailer({ NODE_ENV: env });
      expect(await other.mailer.send(message)).toBe('not_configured');
      expect(other.lines.join('\n')).not.toContain('token=');
    }
  });
});
