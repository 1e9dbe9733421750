import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { call, signUp, uniqueEmail } from '../support/factories';
import { authorizeAndDecide, hiddenFields, pkcePair, registerApp, signedInBrowser } from '../support/oauth-browser';
import { createTestApp, TestApp } from '../support/test-app';
import { testDatabaseUrl } from '../support/test-env';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('OAuth secrets at rest', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ captureLogs: true });
  });
  afterAll(() => t.close());

  it('no authorization code, app key, client secret or consent CSRF token is stored (or logged) in plain text', async () => {
    const owner = await signUp(t, 'storage-owner');
    const { clientId, clientSecret } = await registerApp(t, owner.cookie, {
      name: 'Stored App',
      redirect_uris: ['https://stored.example/cb'],
      confidential: true,
    });
    const browser = await signedInBrowser(t, uniqueEmail('storage'));
    const secrets: string[] = [clientSecret!];
    const hashes: string[] = [sha256(clientSecret!)];

    // OAuth flow: a redeemed code and its key, plus an unredeemed code.
    for (let i = 0; i < 2; i++) {
      const { verifier, challenge } = pkcePair();
      const url = `/oauth/authorize?${new URLSearchParams({ client_id: clientId, redirect_uri: 'https://stored.example/cb', response_type: 'code', code_challenge: challenge, code_challenge_method: 'S256' })}`;
      const page = await browser.go(url);
      secrets.push(hiddenFields(await page.text()).csrf_token);
      const code = (await authorizeAndDecide(browser, url)).searchParams.get('code')!;
      secrets.push(code);
      hashes.push(sha256(code));
      if (i === 0) {
        const res = await fetch(`${t.url}/oauth/token`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
          },
          body: new URLSearchParams({
            grant_type: 'authorization_code',
            code,
            code_verifier: verifier,
            redirect_uri: 'https://stored.example/cb',
          }),
        });
        const { access_token } = (await res.json()) as { access_token: string };
        secrets.push(access_token);
        hashes.push(sha256(access_token));
      }
    }

    // OpenRouter flow.
    const { verifier, challenge } = pkcePair();
    const code = (
      await authorizeAndDecide(
        browser,
        `/auth?${new URLSearchParams({ callback_url: 'https://or-stored.example/cb', code_challenge: challenge, code_challenge_method: 'S256' })}`,
      )
    ).searchParams.get('code')!;
    const exchanged = await call<{ key: string }>(t, 'POST', '/api/v1/auth/keys', { body: { code, code_verifier: verifier } });
    expect(exchanged.status).toBe(200);
    secrets.push(code, exchanged.body.key);
    hashes.push(sha256(code), sha256(exchanged.body.key));

    const dump = execFileSync('pg_dump', ['--data-only', testDatabaseUrl()], { maxBuffer: 256 * 1024 * 1024 }).toString();
    for (const h of hashes) expect(dump).toContain(h);
    for (const s of secrets) expect(dump).not.toContain(s);
    const logs = t.logs.join('\n');
    expect(logs.length).toBeGreaterThan(0);
    for (const s of secrets) expect(logs).not.toContain(s);
  });
});
