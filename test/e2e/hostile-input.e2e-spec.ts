import { call, signUp, SignedUpUser } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';

type ErrorBody = { error: { code: number; message: string; metadata: { error_type: string } } };

const cursor = (text: string) => Buffer.from(text).toString('base64url');
const UUID = '0b0f6f1e-8f7a-4c1e-9d55-0a1b2c3d4e5f';

describe('crafted input is a 400 with a clear message, never a 500 or a silent correction', () => {
  let t: TestApp;
  let user: SignedUpUser;
  beforeAll(async () => {
    t = await createTestApp();
    user = await signUp(t, 'hostile');
  });
  afterAll(() => t.close());

  it.each([
    ['month 13', cursor(`2026-13-01T00:00:00.000000Z|${UUID}`)],
    ['February 30', cursor(`2026-02-30T00:00:00.000000Z|${UUID}`)],
    ['hour 25', cursor(`2026-01-01T25:00:00.000000Z|${UUID}`)],
    ['an id of dashes', cursor(`2026-01-01T00:00:00.000000Z|${'-'.repeat(36)}`)],
    ['an id of the right length but not a UUID', cursor(`2026-01-01T00:00:00.000000Z|${'f'.repeat(36)}`)],
  ])('a cursor with %s', async (_name, before) => {
    for (const path of ['/api/v1/credits/ledger', '/api/v1/credits/topups']) {
      const res = await call<ErrorBody>(t, 'GET', `${path}?before=${before}`, { cookie: user.cookie });
      expect({ path, status: res.status, type: res.body.error.metadata.error_type }).toEqual({
        path,
        status: 400,
        type: 'validation_failed',
      });
      expect(res.body.error.message).toMatch(/before/);
    }
  });

  it.each([
    '2026-13-45T99:99Z',
    '2099-02-30T00:00:00Z',
    '2099-04-31T12:00Z',
    '2099-01-01T24:00:00Z',
    '2099-01-01T12:60Z',
    '2099-01-01T12:00:61Z',
  ])('expires_at %s', async (expiresAt) => {
    const created = await call<ErrorBody>(t, 'POST', '/api/v1/keys', { cookie: user.cookie, body: { name: 'k', expires_at: expiresAt } });
    expect([created.status, created.body.error.metadata.error_type]).toEqual([400, 'validation_failed']);
    expect(created.body.error.message).toMatch(/expires_at/);
    const key = await call<{ data: { hash: string } }>(t, 'POST', '/api/v1/keys', { cookie: user.cookie, body: { name: 'k2' } });
    const patched = await call<ErrorBody>(t, 'PATCH', `/api/v1/keys/${key.body.data.hash}`, {
      cookie: user.cookie,
      body: { expires_at: expiresAt },
    });
    expect([patched.status, patched.body.error.metadata.error_type]).toEqual([400, 'validation_failed']);
  });

  it('a real leap day is accepted as written', async () => {
    const created = await call<{ data: { expires_at: string } }>(t, 'POST', '/api/v1/keys', {
      cookie: user.cookie,
      body: { name: 'leap', expires_at: '2096-02-29T10:30Z' },
    });
    expect(created.status).toBe(201);
    expect(created.body.data.expires_at).toBe('2096-02-29T10:30:00.000Z');
  });
});
