import { LedgerService } from '../../src/credits/ledger.service';
import { KeysService } from '../../src/keys/keys.service';
import { CapsService } from '../../src/keys/caps.service';
import { call, createKey, signUp } from '../support/factories';
import { GatewayFixture, startGatewayFixture } from '../support/gateway-fixture';

type Gen = { data: Record<string, unknown> };

async function generation(f: GatewayFixture, id: string, key = f.key): Promise<Gen['data']> {
  const until = Date.now() + 10_000;
  for (;;) {
    const res = await call<Gen>(f.t, 'GET', `/api/v1/generation?id=${id}`, { key });
    if (res.status === 200) return res.body.data;
    if (Date.now() > until) throw new Error(`generation ${id}: ${res.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('settlement and generation records', () => {
  let f: GatewayFixture;
  beforeAll(async () => {
    f = await startGatewayFixture();
  });
  afterEach(async () => {
    expect(await f.t.get(LedgerService).check()).toEqual([]);
  });
  afterAll(() => f.close());

  it('records each request with its app, tokens and cost; only its owner can read it', async () => {
    const res = await call<Record<string, unknown> & { id: string; usage: { cost: number; prompt_tokens: number; completion_tokens: number } }>(f.t, 'POST', '/api/v1/chat/completions', {
      key: f.key,
      headers: { 'http-referer': 'https://app.example', 'x-title': 'Example App' },
      body: { model: 'test/a-only', messages: [{ role: 'user', content: 'hello there' }], user: 'end-user-7' },
    });
    expect(res.status).toBe(200);
    const g = await generation(f, res.body.id);
    expect(g).toMatchObject({
      id: res.body.id,
      model: 'test/a-only',
      provider_name: 'Alpha',
      http_referer: 'https://app.example',
      app_title: 'Example App',
      external_user: 'end-user-7',
      streamed: false,
      cancelled: false,
      finish_reason: 'stop',
      tokens_prompt: res.body.usage.prompt_tokens,
      tokens_completion: res.body.usage.completion_tokens,
      total_cost: res.body.usage.cost,
      usage_estimated: false,
      api_type: 'completions',
    });
    expect(g.provider_responses).toEqual([expect.objectContaining({ provider_name: 'Alpha', status: 200, error: null })]);

    // Another user's key: 404, as for an id that does not exist.
    const stranger = await signUp(f.t, 'stranger');
    const strangerKey = (await createKey(f.t, { cookie: stranger.cookie })).key;
    expect((await call(f.t, 'GET', `/api/v1/generation?id=${res.body.id}`, { key: strangerKey })).status).toBe(404);
    expect((await call(f.t, 'GET', '/api/v1/generation?id=gen-doesnotexist', { key: f.key })).status).toBe(404);
  });

  it('the key is charged exactly the reported cost; nothing stays held', async () => {
    const principal = await f.t.get(KeysService).authenticate(`Bearer ${f.key}`);
    const caps = f.t.get(CapsService);
    const before = (await caps.keyCounters(principal.keyId))!;
    const res = await call<{ id: string; usage: { cost: number } }>(f.t, 'POST', '/api/v1/chat/completions', {
      key: f.key,
      body: { model: 'test/claude', messages: [{ role: 'user', content: 'hello' }], max_tokens: 100 },
    });
    await generation(f, res.body.id); // written after settlement
    const after = (await caps.keyCounters(principal.keyId))!;
    expect(after.held).toBe(0n);
    expect(Number(after.total - before.total) / 1e9).toBeCloseTo(res.body.usage.cost, 12);
  });

  it('a client that disconnects mid-stream aborts the upstream; the tokens produced are recorded and paid', async () => {
    const controller = new AbortController();
    const seenBefore = f.fakes.a.seen.length;
    const res = await fetch(`${f.t.url}/api/v1/chat/completions`, {
      method: 'POST',
      signal: controller.signal,
      headers: { authorization: `Bearer ${f.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'test/long', messages: [{ role: 'user', content: 'write a lot' }], stream: true, max_tokens: 1000 }),
    });
    const genId = res.headers.get('x-generation-id')!;
    const reader = res.body!.getReader();
    let received = '';
    while ((received.match(/data: /g) ?? []).length < 20) received += new TextDecoder().decode((await reader.read()).value);
    controller.abort();

    const g = await generation(f, genId);
    expect(g.cancelled).toBe(true);
    expect(g.streamed).toBe(true);
    expect(g.usage_estimated).toBe(true);
    expect(g.tokens_completion as number).toBeGreaterThan(0);
    expect(g.tokens_completion as number).toBeLessThan(200);
    expect(g.total_cost as number).toBeGreaterThan(0);
    const upstream = f.fakes.a.seen[seenBefore];
    const until = Date.now() + 5000;
    while (!upstream.aborted && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(upstream.aborted).toBe(true);

    const principal = await f.t.get(KeysService).authenticate(`Bearer ${f.key}`);
    expect((await f.t.get(CapsService).keyCounters(principal.keyId))!.held).toBe(0n);
  });

  it('a stream without upstream usage is billed from the text relayed, flagged as estimated', async () => {
    const res = await fetch(`${f.t.url}/api/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${f.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'test/no-usage', messages: [{ role: 'user', content: 'hi' }], stream: true }),
    });
    const text = await res.text();
    const events = text.split('\n\n').filter((e) => e.startsWith('data: {')).map((e) => JSON.parse(e.slice(6)) as { usage?: { completion_tokens: number; cost: number } });
    const usage = events[events.length - 1].usage!;
    expect(usage.completion_tokens).toBeGreaterThan(0);
    expect(usage.cost).toBeGreaterThan(0);
    const g = await generation(f, res.headers.get('x-generation-id')!);
    expect(g.usage_estimated).toBe(true);
  });

  it('a slow upstream gets `: PROCESSING` comments on the stream while it waits', async () => {
    const res = await fetch(`${f.t.url}/api/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${f.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'test/slow-first', provider: { only: ['alpha'] }, messages: [{ role: 'user', content: 'hi' }], stream: true }),
    });
    expect(res.status).toBe(200); // committed before the upstream answered
    const text = await res.text();
    expect(text.startsWith(': PROCESSING\n\n')).toBe(true);
    // The upstream then timed out (first byte limit 1.5 s): the stream ends with an error chunk.
    expect(text).toMatch(/"finish_reason":"error"/);
    expect(text.trim().endsWith('data: [DONE]')).toBe(true);
  });
});
