import { randomBytes } from 'node:crypto';
import { GenerationsRepository, LAST_USED_BY_KEY_SQL } from '../../src/usage/generations.repository';
import type { GenerationRecord } from '../../src/usage/generation-record';
import { call, createKey, signUp, uniqueEmail } from '../support/factories';
import { authorizeAndDecide, Browser, hiddenFields, PASSWORD, pkcePair, signedInBrowser } from '../support/oauth-browser';
import { sql } from '../support/sql';
import { createTestApp, TestApp } from '../support/test-app';
import { testRedisPrefix } from '../support/test-env';

const PAGES = ['/', '/credits', '/keys', '/limits', '/activity', '/logs', '/apps', '/models', '/settings'];

function record(over: Partial<GenerationRecord> & Pick<GenerationRecord, 'userId' | 'keyId' | 'createdAt'>): GenerationRecord {
  return {
    id: `gen-${randomBytes(12).toString('hex')}`,
    requestId: randomBytes(8).toString('hex'),
    apiType: 'completions',
    requestedModel: 'test/chat',
    model: 'test/chat',
    providerSlug: 'alpha',
    providerName: 'Alpha',
    upstreamModel: 'chat-a',
    streamed: false,
    cancelled: false,
    finishReason: 'stop',
    nativeFinishReason: 'stop',
    tokensPrompt: 10,
    tokensCompletion: 20,
    tokensCached: 0,
    tokensReasoning: 5,
    usageEstimated: false,
    costNanos: '1500000',
    holdNanos: '3000000',
    latencyMs: 120,
    ttftMs: 40,
    generationTimeMs: 80,
    appId: null,
    httpReferer: null,
    appTitle: null,
    userAgent: null,
    externalUser: null,
    sessionId: null,
    errorCode: null,
    errorMessage: null,
    attempts: [{ provider_name: 'Alpha', provider_slug: 'alpha', model: 'test/chat', status: 200, error: null, latency_ms: 120 }],
    ...over,
  };
}

describe('the end-user console (HTTP)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { REDIS_KEY_PREFIX: `${testRedisPrefix()}:console` } });
  });
  afterAll(() => t?.close());

  it('sends a signed-out visitor to sign in, and back to the page they asked for', async () => {
    const res = await fetch(`${t.url}/logs?status=ok`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/sign-in?return_to=%2Flogs%3Fstatus%3Dok');
  });

  it('lands on the console after signing in through the form, not on JSON', async () => {
    const email = uniqueEmail('console');
    await fetch(`${t.url}/api/v1/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    const browser = new Browser(t.url);
    const form = await browser.go('/sign-in');
    const posted = await browser.go('/sign-in', { form: { ...hiddenFields(await form.text()), email, password: PASSWORD } });
    expect(posted.status).toBe(303);
    const { res } = await browser.follow(posted.headers.get('location')!);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('<h1>Overview</h1>');
    expect(html).toContain(email);
  });

  it('serves every page as HTML with a CSP that forbids inline scripts and framing', async () => {
    const browser = await signedInBrowser(t, uniqueEmail('pages'));
    for (const path of PAGES) {
      const res = await browser.go(path);
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(res.headers.get('cache-control')).toBe('no-store');
      const html = await res.text();
      expect(html).not.toMatch(/<script>(?!<\/script>)|<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+=|style=/i);
      // Every form that changes something carries the form token.
      for (const m of html.matchAll(/<form method="post"[^>]*>([\s\S]*?)<\/form>/g))
        expect(m[1]).toMatch(/name="csrf_token" value="[A-Za-z0-9_-]{43}"/);
    }
    const js = await fetch(`${t.url}/assets/console.js`);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect((await fetch(`${t.url}/assets/console.css`)).status).toBe(200);
  });

  it('refuses a form post without the form token, and changes nothing', async () => {
    const browser = await signedInBrowser(t, uniqueEmail('csrf'));
    const res = await browser.go('/keys', { form: { name: 'forged' } });
    expect(res.status).toBe(403);
    const keys = await call<{ data: unknown[] }>(t, 'GET', '/api/v1/keys', { cookie: `sy_session=${browser.cookies.get('sy_session')}` });
    expect(keys.body.data).toEqual([]);
  });

  it('Apps: lists an authorized app, changes its limit (checked by the keys API rules) and revokes it', async () => {
    const browser = await signedInBrowser(t, uniqueEmail('apps'));
    const { verifier, challenge } = pkcePair();
    const auth = new URLSearchParams({
      callback_url: 'https://app.example.test/cb',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      key_label: 'Apps Page',
    });
    const callback = await authorizeAndDecide(browser, `/auth?${auth.toString()}`, { limit: '3' });
    const exchanged = await call<{ key: string }>(t, 'POST', '/api/v1/auth/keys', {
      body: { code: callback.searchParams.get('code'), code_verifier: verifier, code_challenge_method: 'S256' },
    });
    expect(exchanged.status).toBe(200);
    const appKey = exchanged.body.key;

    const page = await browser.go('/apps');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<h1>Authorized apps</h1>');
    expect(html).toContain('app.example.test');
    expect(html).toMatch(/<a href="\/apps" aria-current="page">Apps<\/a>/);
    const token = hiddenFields(html).csrf_token;
    const appId = /action="\/apps\/([0-9a-f-]{36})\/cap"/.exec(html)![1];

    const bad = await browser.go(`/apps/${appId}/cap`, { form: { csrf_token: token, limit: '-3', limit_reset: 'none' } });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('Limit must be a number of USD');
    const forged = await browser.go(`/apps/${appId}/cap`, { form: { limit: '100', limit_reset: 'none' } });
    expect(forged.status).toBe(403);

    const capped = await browser.go(`/apps/${appId}/cap`, { form: { csrf_token: token, limit: '1', limit_reset: 'weekly' } });
    expect(capped.status).toBe(303);
    expect(capped.headers.get('location')).toBe('/apps?done=app-cap');
    expect(await (await browser.go('/apps?done=app-cap')).text()).toMatch(/role="status">The app(&#39;|')s limit was changed\.</);
    const info = await call<{ data: { limit: number; limit_reset: string } }>(t, 'GET', '/api/v1/key', { key: appKey });
    expect({ limit: info.body.data.limit, reset: info.body.data.limit_reset }).toEqual({ limit: 1, reset: 'weekly' });

    const revoked = await browser.go(`/apps/${appId}/revoke`, { form: { csrf_token: token } });
    expect(revoked.status).toBe(303);
    expect(revoked.headers.get('location')).toBe('/apps?done=app-revoked');
    const after = await (await browser.go('/apps?done=app-revoked')).text();
    expect(after).toMatch(/role="status">The app(&#39;|')s keys were revoked/);
    expect(after).toContain('You have not authorized any app.');
    const again = await browser.go(`/apps/${appId}/revoke`, { form: { csrf_token: token } });
    expect(again.status).toBe(404);
    expect(await again.text()).toContain('No authorized app with this id');
  });

  it('shows a new key exactly once, validated by the keys API rules', async () => {
    const browser = await signedInBrowser(t, uniqueEmail('keys'));
    const page = await browser.go('/keys');
    const token = hiddenFields(await page.text()).csrf_token;
    const bad = await browser.go('/keys', { form: { csrf_token: token, name: 'k', limit: '-3', limit_reset: 'none', expires_at: '' } });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('Limit must be a number of USD');
    const created = await browser.go('/keys', {
      form: { csrf_token: token, name: 'laptop', limit: '5', limit_reset: 'daily', expires_at: '' },
    });
    expect(created.status).toBe(200);
    const html = await created.text();
    const key = /data-testid="new-key"[^>]*value="(sk-[^"]+)"|value="(sk-[^"]+)"[^>]*data-testid="new-key"/.exec(html);
    const secret = key?.[1] ?? key?.[2];
    expect(secret).toBeDefined();
    expect((await call(t, 'GET', '/api/v1/key', { key: secret })).status).toBe(200);
    const again = await (await browser.go('/keys')).text();
    expect(again).toContain('laptop');
    expect(again).not.toContain(secret!);
    const listed = await call<{ data: { limit: number; limit_reset: string }[] }>(t, 'GET', '/api/v1/keys', {
      cookie: `sy_session=${browser.cookies.get('sy_session')}`,
    });
    expect(listed.body.data[0]).toMatchObject({ limit: 5, limit_reset: 'daily' });
  });

  it('keys list: each key\'s last use, from its newest generation record, and "Never" for an unused key', async () => {
    const user = await signUp(t, 'last-used');
    const used = await createKey(t, { cookie: user.cookie }, { name: 'busy-key' });
    await createKey(t, { cookie: user.cookie }, { name: 'idle-key' });
    const [{ id: keyId }] = await sql<{ id: string }>(`SELECT id FROM api_keys WHERE hash = $1`, [used.hash]);
    await t
      .get(GenerationsRepository)
      .insert([
        record({ userId: user.id, keyId, createdAt: '2026-11-20T08:15:30.000Z' }),
        record({ userId: user.id, keyId, createdAt: '2026-11-29T17:42:10.000Z', errorCode: 502 }),
        record({ userId: user.id, keyId, createdAt: '2026-11-25T10:00:00.000Z' }),
      ]);
    const browser = new Browser(t.url);
    browser.cookies.set('sy_session', user.cookie.split('=')[1]);
    const html = await (await browser.go('/keys')).text();
    expect(html).toContain('<th scope="col">Last used</th>');
    const row = (name: string) => html.split('<tr>').find((r) => r.includes(`<td>${name}`)) ?? '';
    expect(row('busy-key')).toContain('<td data-testid="last-used">2026-11-29 17:42 UTC</td>');
    expect(row('idle-key')).toContain('<td data-testid="last-used">Never</td>');
  });

  it("the last-use lookup reads an index per key, never a scan of the user's generations", async () => {
    const user = await signUp(t, 'last-used-plan');
    const k = await createKey(t, { cookie: user.cookie }, { name: 'planned' });
    const [{ id: keyId }] = await sql<{ id: string }>(`SELECT id FROM api_keys WHERE hash = $1`, [k.hash]);
    await t
      .get(GenerationsRepository)
      .insert(
        Array.from({ length: 50 }, (_, i) =>
          record({ userId: user.id, keyId, createdAt: new Date(Date.now() - i * 60_000).toISOString() }),
        ),
      );
    const repo = t.get(GenerationsRepository);
    const lastUsed = await repo.lastUsedByKey(user.id);
    expect(lastUsed.get(keyId)).toBeInstanceOf(Date);
    const manager = repo['generations'].manager;
    const plan = await manager.transaction(async (em) => {
      // Whatever the table's size here, the plan must be able to answer from an index alone.
      await em.query('SET LOCAL enable_seqscan = off');
      await em.query('SET LOCAL enable_bitmapscan = off');
      const rows: { 'QUERY PLAN': string }[] = await em.query(`EXPLAIN ${LAST_USED_BY_KEY_SQL}`, [user.id]);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(plan).not.toMatch(/Seq Scan|Sort/);
    expect(plan).toContain('ix_generations_user_key_created');
  });

  it('says plainly when card top-ups are not configured', async () => {
    const browser = await signedInBrowser(t, uniqueEmail('nostripe'));
    const html = await (await browser.go('/credits?amount=10')).text();
    expect(html).toContain('Card top-ups are not set up on this server');
    expect(html).not.toContain('/credits/checkout');
  });

  it('GET /api/v1/activity: rows per UTC day x model x endpoint over the last 30 completed days, by key hash, for a session or a management key', async () => {
    const user = await signUp(t, 'activity');
    const a = await createKey(t, { cookie: user.cookie }, { name: 'a' });
    const b = await createKey(t, { cookie: user.cookie }, { name: 'b' });
    const ids = (await call<{ data: { hash: string }[] }>(t, 'GET', '/api/v1/keys', { cookie: user.cookie })).body.data;
    expect(ids).toHaveLength(2);
    const keyIds = await sql<{ id: string; hash: string }>(`SELECT id, hash FROM api_keys WHERE user_id = $1`, [user.id]);
    const idOf = (hash: string) => keyIds.find((k) => k.hash === hash)!.id;
    const now = new Date();
    const day = (back: number, hour = 12) =>
      new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - back, hour)).toISOString();
    const ymd = (back: number) => day(back).slice(0, 10);
    const records = [
      record({ userId: user.id, keyId: idOf(a.hash), createdAt: day(1, 1) }),
      record({ userId: user.id, keyId: idOf(a.hash), createdAt: day(1, 2) }),
      record({ userId: user.id, keyId: idOf(b.hash), createdAt: day(1, 3), providerSlug: 'beta', providerName: 'Beta' }),
      record({ userId: user.id, keyId: idOf(b.hash), createdAt: day(2), model: 'test/other', requestedModel: 'test/other' }),
      // Today is not a completed day; 31 days back is outside the window.
      record({ userId: user.id, keyId: idOf(a.hash), createdAt: new Date().toISOString() }),
      record({ userId: user.id, keyId: idOf(a.hash), createdAt: day(31) }),
    ];
    await t.get(GenerationsRepository).insert(records);
    // A replayed job inserts nothing and adds nothing to the hourly sums.
    await t.get(GenerationsRepository).insert(records.slice(0, 3));
    const all = await call<{ data: Record<string, unknown>[] }>(t, 'GET', '/api/v1/activity', { cookie: user.cookie });
    expect(all.status).toBe(200);
    expect(all.body.data).toEqual([
      {
        date: ymd(1),
        model: 'test/chat',
        model_permaslug: 'test/chat',
        endpoint_id: 'alpha/test/chat',
        provider_name: 'Alpha',
        usage: 0.003,
        byok_usage_inference: 0,
        requests: 2,
        prompt_tokens: 20,
        completion_tokens: 40,
        reasoning_tokens: 10,
      },
      expect.objectContaining({ date: ymd(1), endpoint_id: 'beta/test/chat', provider_name: 'Beta', requests: 1, usage: 0.0015 }),
      expect.objectContaining({ date: ymd(2), model: 'test/other', requests: 1 }),
    ]);
    const byKey = await call<{ data: { requests: number }[] }>(t, 'GET', `/api/v1/activity?api_key_hash=${b.hash}&date=${ymd(1)}`, {
      cookie: user.cookie,
    });
    expect(byKey.body.data).toEqual([expect.objectContaining({ endpoint_id: 'beta/test/chat', requests: 1 })]);
    const management = await createKey(t, { cookie: user.cookie }, { name: 'm', management: true });
    expect((await call<{ data: unknown[] }>(t, 'GET', '/api/v1/activity', { key: management.key })).body.data).toHaveLength(3);
    expect((await call(t, 'GET', '/api/v1/activity', { key: a.key })).status).toBe(403);
    expect((await call(t, 'GET', `/api/v1/activity?date=${ymd(0)}`, { cookie: user.cookie })).status).toBe(400);
    expect((await call(t, 'GET', '/api/v1/activity?date=yesterday', { cookie: user.cookie })).status).toBe(400);

    // The console shows the same numbers: the logs list, a detail page, activity and its CSV.
    const browser = new Browser(t.url);
    browser.cookies.set('sy_session', user.cookie.split('=')[1]);
    const logs = await (await browser.go(`/logs?key=${b.hash}`)).text();
    expect(logs.match(/href="\/logs\/gen-/g)).toHaveLength(2);
    const first = /href="(\/logs\/gen-[^"]+)"/.exec(logs)![1];
    const detail = await (await browser.go(first)).text();
    expect(detail).toContain('Attempts');
    // What was held for it before the call, next to what it cost.
    expect(detail).toMatch(/Held beforehand<\/dt><dd>\$0\.003 /);
    expect(detail).toMatch(/\$0\.0015<\/strong> <span class="muted">from the usage the provider reported/);
    const activity = await (await browser.go('/activity?period=month&group=key&metric=requests')).text();
    expect(activity).toMatch(/data-testid="activity-requests">5</);
    expect(activity).toContain('<svg');
    const csv = await browser.go('/activity.csv');
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect((await csv.text()).trim().split('\r\n')).toHaveLength(4);
  });

  it('pages the logs newest first with the filters kept in the URL', async () => {
    const user = await signUp(t, 'pages');
    const k = await createKey(t, { cookie: user.cookie }, { name: 'pager' });
    const [{ id: keyId }] = await sql<{ id: string }>(`SELECT id FROM api_keys WHERE hash = $1`, [k.hash]);
    const base = Date.now() - 3600_000;
    await t
      .get(GenerationsRepository)
      .insert(
        Array.from({ length: 60 }, (_, i) =>
          record({ userId: user.id, keyId, createdAt: new Date(base + i * 1000).toISOString(), errorCode: i % 2 ? 502 : null }),
        ),
      );
    const browser = new Browser(t.url);
    browser.cookies.set('sy_session', user.cookie.split('=')[1]);
    const first = await (await browser.go('/logs')).text();
    expect(first.match(/href="\/logs\/gen-/g)).toHaveLength(50);
    const next = /href="(\/logs\?[^"]*before=[^"]+)" rel="next"/.exec(first)![1].replace(/&amp;/g, '&');
    const second = await (await browser.go(next)).text();
    expect(second.match(/href="\/logs\/gen-/g)).toHaveLength(10);
    const failed = await (await browser.go('/logs?status=error')).text();
    expect(failed.match(/href="\/logs\/gen-/g)).toHaveLength(30);
    expect(failed).toContain('<option value="error" selected>');
    expect((await browser.go('/logs?before=not-a-cursor')).status).toBe(400);
    // Days that do not exist are ignored like any malformed filter, never a 500.
    const odd = await browser.go('/logs?from=2026-13-45&to=2026-02-30');
    expect(odd.status).toBe(200);
    expect((await odd.text()).match(/href="\/logs\/gen-/g)).toHaveLength(50);
  });

  it('settings: "Send confirmation link" says plainly when this server cannot send mail', async () => {
    const browser = await signedInBrowser(t, uniqueEmail('no-mail'));
    const page = await (await browser.go('/settings')).text();
    expect(page).toContain('Send confirmation link');
    const res = await browser.go('/settings/email-verification', { form: { csrf_token: hiddenFields(page).csrf_token } });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBeNull();
    expect(await res.text()).toContain('This server is not set up to send email');
  });

  it('settings: a password change needs the current one and signs the other browsers out; sign out everywhere ends every session', async () => {
    const email = uniqueEmail('settings');
    const here = await signedInBrowser(t, email);
    const other = new Browser(t.url);
    const form = await other.go('/sign-in');
    expect((await other.go('/sign-in', { form: { ...hiddenFields(await form.text()), email, password: PASSWORD } })).status).toBe(303);
    const page = await here.go('/settings');
    const html = await page.text();
    expect(html.match(/<li>[^<]*<span class="muted">signed in/g)).toHaveLength(2);
    const token = hiddenFields(html).csrf_token;

    const wrong = await here.go('/settings/password', {
      form: {
        csrf_token: token,
        current_password: 'not the password',
        new_password: 'a brand new password',
        confirm_password: 'a brand new password',
      },
    });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('The current password is not right.');
    const mismatch = await here.go('/settings/password', {
      form: {
        csrf_token: token,
        current_password: PASSWORD,
        new_password: 'a brand new password',
        confirm_password: 'another one entirely',
      },
    });
    expect(mismatch.status).toBe(400);
    const changed = await here.go('/settings/password', {
      form: {
        csrf_token: token,
        current_password: PASSWORD,
        new_password: 'a brand new password',
        confirm_password: 'a brand new password',
      },
    });
    expect(changed.status).toBe(303);
    expect(changed.headers.get('location')).toBe('/settings?done=password-changed');
    expect((await other.go('/settings')).status).toBe(303);
    expect((await here.go('/settings')).status).toBe(200);
    expect((await call(t, 'POST', '/api/v1/sessions', { body: { email, password: PASSWORD } })).status).toBe(401);
    expect((await call(t, 'POST', '/api/v1/sessions', { body: { email, password: 'a brand new password' } })).status).toBe(200);

    const everywhere = await here.go('/settings/sign-out-everywhere', { form: { csrf_token: token } });
    expect(everywhere.status).toBe(303);
    expect(everywhere.headers.get('location')).toBe('/sign-in');
    expect(here.cookies.has('sy_session')).toBe(false);
    const sessions = await sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE u.email = $1`,
      [email],
    );
    expect(sessions[0].n).toBe(0);
  });
});
