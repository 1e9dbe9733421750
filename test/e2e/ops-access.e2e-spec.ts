import { createTestApp, TestApp } from '../support/test-app';

const TOKEN = 'ops-token-0123456789abcdef0123456789';

describe('/metrics and /health with METRICS_TOKEN set', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { METRICS_TOKEN: TOKEN } });
  });
  afterAll(() => t.close());

  it('/metrics needs the bearer token', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token', `Basic ${TOKEN}`, `Bearer ${TOKEN}x`]) {
      const res = await fetch(`${t.url}/metrics`, { headers: authorization ? { authorization } : {} });
      expect({ authorization, status: res.status }).toEqual({ authorization, status: 401 });
      expect(await res.text()).not.toContain('http_request');
    }
    const ok = await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('process_cpu');
  });

  it('/health answers anyone with its status only; the token shows the checks', async () => {
    const open = await fetch(`${t.url}/health`);
    expect(open.status).toBe(200);
    expect(await open.json()).toEqual({ status: 'ok' });
    const wrong = await fetch(`${t.url}/health`, { headers: { authorization: 'Bearer nope' } });
    expect(await wrong.json()).toEqual({ status: 'ok' });
    const detailed = await fetch(`${t.url}/health`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const body = (await detailed.json()) as { status: string; checks: Record<string, { status: string }> };
    expect(body.status).toBe('ok');
    expect(Object.keys(body.checks).sort()).toEqual(['postgres', 'queues', 'redis']);
  });
});

describe('/health without METRICS_TOKEN', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('shows no details to anyone (no token can unlock them)', async () => {
    const res = await fetch(`${t.url}/health`, { headers: { authorization: 'Bearer anything' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect((await fetch(`${t.url}/metrics`)).status).toBe(200);
  });
});
