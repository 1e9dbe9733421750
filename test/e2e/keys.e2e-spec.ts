import { execFileSync } from 'node:child_process';
import { ManualClock, Clock } from '../../src/common/clock/clock';
import { call, createKey, signUp } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';
import { testDatabaseUrl } from '../support/test-env';

const FULL_KEY = /sk-sy-v1-[0-9a-f]{64}/;

interface KeyBody {
  data: Record<string, unknown> & { hash: string };
  key?: string;
}

describe('API keys', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ captureLogs: true });
  });
  afterAll(() => t.close());

  it('a key is shown once, works, and is stored only as its SHA-256', async () => {
    const u = await signUp(t);
    const created = await call<KeyBody>(t, 'POST', '/api/v1/keys', { cookie: u.cookie, body: { name: 'my app' } });
    expect(created.status).toBe(201);
    const key = created.body.key!;
    expect(key).toMatch(/^sk-sy-v1-[0-9a-f]{64}$/);
    expect(created.body.data).toMatchObject({
      name: 'my app',
      label: `sk-sy-v1-${key.slice(9, 12)}...${key.slice(-4)}`,
      disabled: false,
      limit: null,
      limit_remaining: null,
      limit_reset: null,
      usage: 0,
      creator_user_id: u.id,
      is_management_key: false,
    });
    expect(created.body.data.hash).toMatch(/^[0-9a-f]{64}$/);

    const me = await call<{ data: Record<string, unknown> }>(t, 'GET', '/api/v1/key', { key });
    expect(me.status).toBe(200);
    expect(me.body.data).toMatchObject({
      label: created.body.data.label,
      limit: null,
      usage: 0,
      is_free_tier: true,
      is_management_key: false,
      creator_user_id: u.id,
    });
    const alias = await call(t, 'GET', '/api/v1/auth/key', { key });
    expect(alias.body).toEqual(me.body);

    // Never again: not in the listing, not on GET.
    const listed = await call(t, 'GET', '/api/v1/keys', { cookie: u.cookie });
    expect(JSON.stringify(listed.body)).not.toContain(key);
    const one = await call(t, 'GET', `/api/v1/keys/${created.body.data.hash}`, { cookie: u.cookie });
    expect(one.status).toBe(200);
    expect(JSON.stringify(one.body)).not.toContain(key);
  });

  it('no full key appears in a dump of the database or in the logs', async () => {
    const u = await signUp(t);
    const keys = await Promise.all(Array.from({ length: 5 }, () => createKey(t, { cookie: u.cookie })));
    for (const k of keys) expect((await call(t, 'GET', '/api/v1/key', { key: k.key })).status).toBe(200);
    await call(t, 'GET', '/api/v1/keys', { key: keys[0].key }); // refused (not a management key), logged
    const dump = execFileSync('pg_dump', ['--data-only', testDatabaseUrl()], { maxBuffer: 256 * 1024 * 1024 }).toString();
    expect(dump).toContain(keys[0].hash);
    expect(dump).not.toMatch(FULL_KEY);
    const logs = t.logs.join('\n');
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toMatch(FULL_KEY);
  });

  it('disabled, expired and deleted keys get 401 in the error envelope', async () => {
    const u = await signUp(t);
    const disabled = await createKey(t, { cookie: u.cookie });
    const deleted = await createKey(t, { cookie: u.cookie });
    expect((await call(t, 'PATCH', `/api/v1/keys/${disabled.hash}`, { cookie: u.cookie, body: { disabled: true } })).status).toBe(200);
    const del = await call(t, 'DELETE', `/api/v1/keys/${deleted.hash}`, { cookie: u.cookie });
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ deleted: true });

    for (const [key, message] of [
      [disabled.key, 'API key is disabled'],
      [deleted.key, 'Invalid API key'],
      [`sk-sy-v1-${'0'.repeat(64)}`, 'Invalid API key'],
      ['not-a-key', 'Invalid API key'],
    ]) {
      const res = await call<{ error: { code: number; message: string; metadata: { error_type: string } } }>(t, 'GET', '/api/v1/key', {
        key,
      });
      expect(res.status).toBe(401);
      expect(res.body.error).toMatchObject({ code: 401, message, metadata: { error_type: 'authentication' } });
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    }
    const none = await call(t, 'GET', '/api/v1/key');
    expect(none.status).toBe(401);
    // A deleted key is gone from the keys API too.
    expect((await call(t, 'GET', `/api/v1/keys/${deleted.hash}`, { cookie: u.cookie })).status).toBe(404);
  });

  it("a user cannot see or change another user's keys: 404, as if they did not exist", async () => {
    const alice = await signUp(t, 'alice');
    const bob = await signUp(t, 'bob');
    const aliceKey = await createKey(t, { cookie: alice.cookie });
    const bobMgmt = await createKey(t, { cookie: bob.cookie }, { management: true });
    for (const auth of [{ cookie: bob.cookie }, { key: bobMgmt.key }]) {
      expect((await call(t, 'GET', `/api/v1/keys/${aliceKey.hash}`, auth)).status).toBe(404);
      expect((await call(t, 'PATCH', `/api/v1/keys/${aliceKey.hash}`, { ...auth, body: { disabled: true } })).status).toBe(404);
      expect((await call(t, 'DELETE', `/api/v1/keys/${aliceKey.hash}`, auth)).status).toBe(404);
      const list = await call<{ data: { hash: string }[] }>(t, 'GET', '/api/v1/keys', auth);
      expect(list.body.data.map((k) => k.hash)).not.toContain(aliceKey.hash);
    }
    expect((await call(t, 'GET', '/api/v1/key', { key: aliceKey.key })).status).toBe(200);
  });

  it('management keys manage keys; inference keys cannot; management keys cannot mint management keys', async () => {
    const u = await signUp(t);
    const mgmt = await createKey(t, { cookie: u.cookie }, { management: true, name: 'provisioning' });
    expect(mgmt.data.is_management_key).toBe(true);
    const viaMgmt = await createKey(t, { key: mgmt.key }, { name: 'made by mgmt', limit: 5, limit_reset: 'monthly' });
    expect(viaMgmt.data).toMatchObject({
      name: 'made by mgmt',
      limit: 5,
      limit_remaining: 5,
      limit_reset: 'monthly',
      creator_user_id: u.id,
    });
    const inference = await call(t, 'GET', '/api/v1/keys', { key: viaMgmt.key });
    expect(inference.status).toBe(403);
    const noMgmtFromMgmt = await call(t, 'POST', '/api/v1/keys', { key: mgmt.key, body: { name: 'x', management: true } });
    expect(noMgmtFromMgmt.status).toBe(403);
    const me = await call<{ data: { is_management_key: boolean } }>(t, 'GET', '/api/v1/key', { key: mgmt.key });
    expect(me.body.data.is_management_key).toBe(true);
  });

  it('lists in pages, hides disabled keys unless asked, and updates every field', async () => {
    const u = await signUp(t);
    const a = await createKey(t, { cookie: u.cookie }, { name: 'a' });
    const b = await createKey(t, { cookie: u.cookie }, { name: 'b' });
    await call(t, 'PATCH', `/api/v1/keys/${b.hash}`, { cookie: u.cookie, body: { disabled: true } });
    const active = await call<{ data: { hash: string }[] }>(t, 'GET', '/api/v1/keys', { cookie: u.cookie });
    expect(active.body.data.map((k) => k.hash)).toEqual([a.hash]);
    const all = await call<{ data: { hash: string }[] }>(t, 'GET', '/api/v1/keys?include_disabled=true', { cookie: u.cookie });
    expect(all.body.data.map((k) => k.hash).sort()).toEqual([a.hash, b.hash].sort());
    const page2 = await call<{ data: unknown[] }>(t, 'GET', '/api/v1/keys?offset=1&include_disabled=true', { cookie: u.cookie });
    expect(page2.body.data).toHaveLength(1);

    const patched = await call<KeyBody>(t, 'PATCH', `/api/v1/keys/${a.hash}`, {
      cookie: u.cookie,
      body: { name: 'renamed', limit: 2.5, limit_reset: 'daily', include_byok_in_limit: true, expires_at: '2099-01-01T00:00:00Z' },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.data).toMatchObject({
      name: 'renamed',
      limit: 2.5,
      limit_remaining: 2.5,
      limit_reset: 'daily',
      include_byok_in_limit: true,
      expires_at: '2099-01-01T00:00:00.000Z',
    });
    const cleared = await call<KeyBody>(t, 'PATCH', `/api/v1/keys/${a.hash}`, {
      cookie: u.cookie,
      body: { limit: null, limit_reset: null, expires_at: null },
    });
    expect(cleared.body.data).toMatchObject({ limit: null, limit_reset: null, expires_at: null, name: 'renamed' });
  });

  it.each([
    ['surprise', { name: 'x', surprise: 1 }],
    ['name', { name: 42 }],
    ['name', { name: '' }],
    ['name', { name: 'a 60 kB name'.padEnd(60_000, 'x') }],
    ['limit', { name: 'x', limit: -1 }],
    ['limit', { name: 'x', limit: '5' }],
    ['limit', { name: 'x', limit: 1e12 }],
    ['limit', { name: 'x', limit: 1e-10 }], // printed as "1e-10": once a 500 from class-validator
    ['limit', { name: 'x', limit: 0.0000000015 }],
    ['limit_reset', { name: 'x', limit_reset: 'hourly' }],
    ['expires_at', { name: 'x', expires_at: '2099-01-01T00:00:00+02:00' }],
    ['expires_at', { name: 'x', expires_at: '2001-01-01T00:00:00Z' }],
    ['include_byok_in_limit', { name: 'x', include_byok_in_limit: 'yes' }],
    ['name', {}],
  ])('rejects a bad %s with 400 naming it', async (field: string, body: Record<string, unknown>) => {
    const u = await signUp(t);
    const res = await call<{ error: { metadata: { fields: { field: string }[] } } }>(t, 'POST', '/api/v1/keys', { cookie: u.cookie, body });
    expect(res.status).toBe(400);
    expect(res.body.error.metadata.fields.map((f) => f.field)).toContain(field);
  });

  it('rejects bad PATCH bodies and query strings with 400, and odd hashes with 404', async () => {
    const u = await signUp(t);
    const k = await createKey(t, { cookie: u.cookie });
    expect((await call(t, 'PATCH', `/api/v1/keys/${k.hash}`, { cookie: u.cookie, body: { disabled: 'no' } })).status).toBe(400);
    expect((await call(t, 'PATCH', `/api/v1/keys/${k.hash}`, { cookie: u.cookie, body: [1, 2] })).status).toBe(400);
    expect((await call(t, 'GET', '/api/v1/keys?offset=-1', { cookie: u.cookie })).status).toBe(400);
    expect((await call(t, 'GET', '/api/v1/keys?include_disabled=maybe', { cookie: u.cookie })).status).toBe(400);
    expect((await call(t, 'GET', `/api/v1/keys/${'z'.repeat(64)}`, { cookie: u.cookie })).status).toBe(404);
    expect((await call(t, 'GET', `/api/v1/keys/${'%00'.repeat(10)}`, { cookie: u.cookie })).status).toBe(404);
  });
});

describe('API keys across processes and time', () => {
  it('a disabled key stops working within 1 s on every process', async () => {
    const a = await createTestApp();
    const b = await createTestApp();
    try {
      const u = await signUp(a);
      const k = await createKey(a, { cookie: u.cookie });
      expect((await call(b, 'GET', '/api/v1/key', { key: k.key })).status).toBe(200); // warm b's cache
      await call(a, 'PATCH', `/api/v1/keys/${k.hash}`, { cookie: u.cookie, body: { disabled: true } });
      const disabledAt = Date.now();
      let status = 200;
      while (status === 200 && Date.now() - disabledAt < 3000) {
        status = (await call(b, 'GET', '/api/v1/key', { key: k.key })).status;
        if (status === 200) await new Promise((r) => setTimeout(r, 25));
      }
      expect(status).toBe(401);
      expect(Date.now() - disabledAt).toBeLessThan(1000);
      expect((await call(a, 'GET', '/api/v1/key', { key: k.key })).status).toBe(401);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('an expired key gets 401 once its time passes', async () => {
    const clock = new ManualClock(Date.parse('2026-11-21T12:00:00Z'));
    const t = await createTestApp({ override: (b) => b.overrideProvider(Clock).useValue(clock) });
    try {
      const u = await signUp(t);
      const k = await createKey(t, { cookie: u.cookie }, { expires_at: '2026-11-21T13:00:00Z' });
      expect((await call(t, 'GET', '/api/v1/key', { key: k.key })).status).toBe(200);
      clock.set('2026-11-21T13:00:00.001Z');
      const res = await call<{ error: { message: string } }>(t, 'GET', '/api/v1/key', { key: k.key });
      expect(res.status).toBe(401);
      expect(res.body.error.message).toBe('API key has expired');
    } finally {
      await t.close();
    }
  });

  it('per-key requests per minute: 429 with X-RateLimit-* and Retry-After', async () => {
    const t = await createTestApp({ env: { RATE_LIMIT_KEY_RPM: '5' } });
    try {
      const u = await signUp(t);
      const k = await createKey(t, { cookie: u.cookie });
      const other = await createKey(t, { cookie: u.cookie });
      const statuses = [];
      for (let i = 0; i < 6; i++) statuses.push((await call(t, 'GET', '/api/v1/key', { key: k.key })).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
      const limited = await call<{ error: { metadata: { limit_source: string } } }>(t, 'GET', '/api/v1/key', { key: k.key });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('x-ratelimit-limit')).toBe('5');
      expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(Number(limited.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now());
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(limited.body.error.metadata.limit_source).toBe('requests-per-minute');
      // Per key: another key of the same user is unaffected.
      expect((await call(t, 'GET', '/api/v1/key', { key: other.key })).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});
