import { call, createKey, signUp } from '../support/factories';
import { GatewayFixture, startGatewayFixture } from '../support/gateway-fixture';

type KeyBody = { data: { hash: string; expires_at: string | null; limit: number | null } };

async function generationStatus(f: GatewayFixture, id: string, key: string): Promise<number> {
  return (await call(f.t, 'GET', `/api/v1/generation?id=${id}`, { key })).status;
}

/** Waits until the record is readable by a key that may read it. */
async function waitForRecord(f: GatewayFixture, id: string): Promise<void> {
  const until = Date.now() + 10_000;
  while ((await generationStatus(f, id, f.key)) !== 200) {
    if (Date.now() > until) throw new Error(`generation ${id} never appeared`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('key privileges', () => {
  let f: GatewayFixture;
  beforeAll(async () => {
    f = await startGatewayFixture();
  });
  afterAll(() => f.close());

  describe('an expiring management key', () => {
    const soon = () => new Date(Date.now() + 3_600_000).toISOString();

    it('cannot remove or push back its own expiry, nor change its own limit', async () => {
      const mgmt = await createKey(f.t, { cookie: f.user.cookie }, { name: 'ops', management: true, expires_at: soon(), limit: 5 });
      const self = `/api/v1/keys/${mgmt.hash}`;
      for (const body of [
        { expires_at: null },
        { expires_at: '2099-01-01T00:00:00Z' },
        { limit: null },
        { limit: 50 },
        { limit_reset: 'daily' },
      ]) {
        const res = await call<KeyBody & { error: { code: number } }>(f.t, 'PATCH', self, { key: mgmt.key, body });
        expect({ body, status: res.status }).toEqual({ body, status: 403 });
      }
      const after = await call<KeyBody>(f.t, 'GET', self, { cookie: f.user.cookie });
      expect(after.body.data.expires_at).toBe(mgmt.data.expires_at);
      expect(after.body.data.limit).toBe(5);
      // Renaming itself and giving up its expiry early remain allowed; so does the user's session.
      expect((await call(f.t, 'PATCH', self, { key: mgmt.key, body: { name: 'ops renamed' } })).status).toBe(200);
      expect((await call(f.t, 'PATCH', self, { cookie: f.user.cookie, body: { expires_at: null } })).status).toBe(200);
    });

    it('cannot delete or change another management key; the session can', async () => {
      const a = await createKey(f.t, { cookie: f.user.cookie }, { name: 'a', management: true, expires_at: soon() });
      const b = await createKey(f.t, { cookie: f.user.cookie }, { name: 'b', management: true });
      expect((await call(f.t, 'DELETE', `/api/v1/keys/${b.hash}`, { key: a.key })).status).toBe(403);
      expect((await call(f.t, 'PATCH', `/api/v1/keys/${b.hash}`, { key: a.key, body: { disabled: true } })).status).toBe(403);
      expect((await call(f.t, 'GET', '/api/v1/key', { key: b.key })).status).toBe(200);
      expect((await call(f.t, 'DELETE', `/api/v1/keys/${b.hash}`, { cookie: f.user.cookie })).status).toBe(200);
    });

    it('cannot mint or extend an inference key beyond its own expiry', async () => {
      const expiresAt = soon();
      const mgmt = await createKey(f.t, { cookie: f.user.cookie }, { name: 'ops', management: true, expires_at: expiresAt });
      const later = new Date(Date.now() + 7_200_000).toISOString();
      expect((await call(f.t, 'POST', '/api/v1/keys', { key: mgmt.key, body: { name: 'x', expires_at: later } })).status).toBe(403);
      // Without an expiry, the new key expires with the management key that made it.
      const minted = await createKey(f.t, { key: mgmt.key }, { name: 'x' });
      expect(minted.data.expires_at).toBe(mgmt.data.expires_at);
      expect((await call(f.t, 'PATCH', `/api/v1/keys/${minted.hash}`, { key: mgmt.key, body: { expires_at: null } })).status).toBe(403);
      expect((await call(f.t, 'PATCH', `/api/v1/keys/${minted.hash}`, { key: mgmt.key, body: { expires_at: later } })).status).toBe(403);
      const earlier = new Date(Date.now() + 600_000).toISOString();
      expect((await call(f.t, 'PATCH', `/api/v1/keys/${minted.hash}`, { key: mgmt.key, body: { expires_at: earlier } })).status).toBe(200);
    });
  });

  it("a key reads only its own generations; a management key reads all of its user's", async () => {
    const res = await call<{ id: string }>(f.t, 'POST', '/api/v1/chat/completions', {
      key: f.key,
      body: { model: 'test/a-only', messages: [{ role: 'user', content: 'hello' }] },
    });
    expect(res.status).toBe(200);
    await waitForRecord(f, res.body.id);
    const sibling = await createKey(f.t, { cookie: f.user.cookie }, { name: 'another app' });
    expect(await generationStatus(f, res.body.id, sibling.key)).toBe(404);
    const mgmt = await createKey(f.t, { cookie: f.user.cookie }, { name: 'ops', management: true });
    expect(await generationStatus(f, res.body.id, mgmt.key)).toBe(200);
    const stranger = await signUp(f.t, 'stranger');
    const strangerMgmt = await createKey(f.t, { cookie: stranger.cookie }, { name: 'ops', management: true });
    expect(await generationStatus(f, res.body.id, strangerMgmt.key)).toBe(404);
  });
});
