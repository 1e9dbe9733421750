import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { QueueName } from '../../src/common/queue/queue-names';
import { HoldsService } from '../../src/credits/holds.service';
import { KeysService } from '../../src/keys/keys.service';
import type { KeyPrincipal } from '../../src/keys/principal';
import type { GenerationRecord } from '../../src/usage/generation-record';
import { UsageService } from '../../src/usage/usage.service';
import { GenerationsRepository } from '../../src/usage/generations.repository';
import { sql } from '../support/sql';
import { CapsService } from '../../src/keys/caps.service';
import { call, createKey, signUp } from '../support/factories';
import { GatewayFixture, gatewayFixtureForSuite } from '../support/gateway-fixture';

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
  gatewayFixtureForSuite({}, (started) => (f = started));

  it('records each request with its app, tokens and cost; only its owner can read it', async () => {
    const res = await call<
      Record<string, unknown> & { id: string; usage: { cost: number; prompt_tokens: number; completion_tokens: number } }
    >(f.t, 'POST', '/api/v1/chat/completions', {
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

  it('a client that disconnects mid-stream leaves the upstream read to its end; the usage the provider reports is recorded and paid', async () => {
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
    // The provider went on to produce all 200 chunks and bills them: so does the gateway.
    expect(g.usage_estimated).toBe(false);
    expect(g.tokens_completion).toBe(200);
    expect(g.total_cost as number).toBeGreaterThan(0);
    expect(f.fakes.a.seen[seenBefore].aborted).toBeFalsy();

    const principal = await f.t.get(KeysService).authenticate(`Bearer ${f.key}`);
    expect((await f.t.get(CapsService).keyCounters(principal.keyId))!.held).toBe(0n);
  });

  it.each([
    // The provider then fails to answer in time: it bills nothing, neither does the gateway.
    ['its answer', 'test/slow-first', 0],
    // The provider goes on to produce its 5 words: billed.
    ['its first output', 'test/stall', 5],
  ])(
    'a stream the client leaves while it waits for %s is recorded with the provider and model it was waiting for, and billed what the provider produced',
    async (_wait, model, produced) => {
      const controller = new AbortController();
      const res = await fetch(`${f.t.url}/api/v1/chat/completions`, {
        method: 'POST',
        signal: controller.signal,
        headers: { authorization: `Bearer ${f.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model,
          provider: { only: ['alpha'] },
          messages: [{ role: 'user', content: 'hi' }],
          stream: true,
          max_tokens: 50,
        }),
      });
      // Headers come with the first `: PROCESSING` comment, while the upstream has not produced anything.
      const genId = res.headers.get('x-generation-id')!;
      expect(new TextDecoder().decode((await res.body!.getReader().read()).value)).toBe(': PROCESSING\n\n');
      controller.abort();

      const g = await generation(f, genId);
      expect(g).toMatchObject({ cancelled: true, streamed: true, model, provider_name: 'Alpha', tokens_completion: produced });
      expect((g.total_cost as number) > 0).toBe(produced > 0);
      expect(g.provider_responses).toEqual([expect.objectContaining({ provider_name: 'Alpha', model })]);
    },
  );

  describe('a stream that buffers excluded reasoning before its first output', () => {
    // A spy records the reports and still passes them on.
    let progress: jest.SpiedFunction<HoldsService['progress']>;
    beforeAll(() => {
      progress = jest.spyOn(f.t.get(HoldsService), 'progress');
    });
    afterAll(() => progress.mockRestore());

    /** The largest output the request reported as its hold's progress (what the sweeper would bill). */
    const reported = (genId: string) => Math.max(0, ...progress.mock.calls.filter((c) => c[0] === genId).map((c) => c[1] as number));
    /** Opens a stream of 300 excluded reasoning chunks (~3 s) and waits until it reported some progress. */
    const openThinking = async (controller: AbortController) => {
      const res = await fetch(`${f.t.url}/api/v1/chat/completions`, {
        method: 'POST',
        signal: controller.signal,
        headers: { authorization: `Bearer ${f.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'test/long-think',
          messages: [{ role: 'user', content: 'hi' }],
          stream: true,
          max_tokens: 2000,
          reasoning: { effort: 'low', exclude: true },
        }),
      });
      const genId = res.headers.get('x-generation-id')!;
      const until = Date.now() + 2000;
      while (reported(genId) < 30 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      return { genId, reader: res.body!.getReader() };
    };

    it("reports the reasoning read so far as the hold's progress while nothing is sent yet", async () => {
      const controller = new AbortController();
      const { genId, reader } = await openThinking(controller);
      expect(reported(genId)).toBeGreaterThanOrEqual(30);
      // Still buffering: the client has had keep-alive comments only.
      expect(new TextDecoder().decode((await reader.read()).value)).not.toContain('data:');
      controller.abort();
      await generation(f, genId);
    });

    it('a client that leaves meanwhile is billed the reasoning produced, within the hold, and recorded with the provider', async () => {
      const controller = new AbortController();
      const { genId } = await openThinking(controller);
      const produced = reported(genId);
      expect(produced).toBeGreaterThanOrEqual(30);
      controller.abort();

      const g = await generation(f, genId);
      // Read on after the client left: the provider's own usage of all 300 reasoning chunks.
      expect(g).toMatchObject({
        cancelled: true,
        streamed: true,
        model: 'test/long-think',
        provider_name: 'Alpha',
        usage_estimated: false,
      });
      expect(g.tokens_completion as number).toBeGreaterThanOrEqual(produced);
      const [h] = await sql<{ status: string; reason: string; actual: string; amount: string }>(
        `SELECT status, reason, actual::text, amount::text FROM credit_holds WHERE id = $1`,
        [genId],
      );
      expect(h).toMatchObject({ status: 'settled', reason: 'cancelled' });
      // test/long-think costs 20 USD per million output tokens: 20,000 nanos a token.
      expect(BigInt(h.actual)).toBeGreaterThanOrEqual(BigInt(produced) * 20_000n);
      expect(BigInt(h.actual)).toBeLessThanOrEqual(BigInt(h.amount));
      expect(g.total_cost).toBe(Number(h.actual) / 1e9);
    });
  });

  it('a stream without upstream usage is billed from the text relayed, flagged as estimated', async () => {
    const res = await fetch(`${f.t.url}/api/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${f.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'test/no-usage', messages: [{ role: 'user', content: 'hi' }], stream: true }),
    });
    const text = await res.text();
    const events = text
      .split('\n\n')
      .filter((e) => e.startsWith('data: {'))
      .map((e) => JSON.parse(e.slice(6)) as { usage?: { completion_tokens: number; cost: number } });
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
      body: JSON.stringify({
        model: 'test/slow-first',
        provider: { only: ['alpha'] },
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      }),
    });
    expect(res.status).toBe(200); // committed before the upstream answered
    const text = await res.text();
    expect(text.startsWith(': PROCESSING\n\n')).toBe(true);
    // The upstream then timed out (first byte limit 1.5 s): the stream ends with an error chunk.
    expect(text).toMatch(/"finish_reason":"error"/);
    expect(text.trim().endsWith('data: [DONE]')).toBe(true);
  });

  describe('generation records are written in batches', () => {
    const queue = () => f.t.get<Queue>(getQueueToken(QueueName.Generations));
    const chat = (content: string) =>
      call<{ id: string }>(f.t, 'POST', '/api/v1/chat/completions', {
        key: f.key,
        body: { model: 'test/a-only', messages: [{ role: 'user', content }] },
      });
    // The repository the gateway's UsageService writes with (the worker's module has its own).
    const gatewayRepo = () => (f.t.get(UsageService) as unknown as { repo: GenerationsRepository }).repo;
    afterEach(() => jest.restoreAllMocks());

    it('records that finish together share one insert, straight to Postgres, without a queue job', async () => {
      const principal = await f.t.get(KeysService).authenticate(`Bearer ${f.key}`);
      const insert = jest.spyOn(gatewayRepo(), 'insert');
      const add = jest.spyOn(queue(), 'add');
      const ids = Array.from({ length: 30 }, (_, i) => `gen-batch${Date.now()}x${i}`);
      await Promise.all(ids.map((id) => f.t.get(UsageService).record(record(id, principal))));
      const written = insert.mock.calls.flatMap((c) => c[0].map((r) => r.id));
      expect(written).toEqual(expect.arrayContaining(ids));
      expect(insert.mock.calls.filter((c) => c[0].some((r) => ids.includes(r.id))).length).toBeLessThanOrEqual(2);
      expect(add).not.toHaveBeenCalled();
      // Written when record() resolves: no worker in between.
      const rows = await sql<{ id: string }>(`SELECT id FROM generations WHERE id = ANY($1)`, [ids]);
      expect(rows.length).toBe(ids.length);
      for (const id of ids) expect(await generation(f, id)).toMatchObject({ id, tokens_prompt: 3, total_cost: 0.000001234 });
    });

    it('requests served concurrently are all recorded', async () => {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => chat(`batch ${i}`)));
      expect(results.every((r) => r.status === 200)).toBe(true);
      for (const r of results) expect((await generation(f, r.body.id)).id).toBe(r.body.id);
    });

    it('when Postgres does not take a batch, its records are queued and the worker writes them', async () => {
      const repo = gatewayRepo();
      const add = jest.spyOn(queue(), 'add');
      // The gateway's insert fails (as a connection error would); the worker's, with its own repository, succeeds.
      jest.spyOn(repo, 'insert').mockRejectedValueOnce(new Error('Connection terminated unexpectedly'));
      const res = await chat('database away');
      expect(res.status).toBe(200);
      expect((await generation(f, res.body.id)).id).toBe(res.body.id);
      const queued = add.mock.calls.flatMap((c) => (c[0] as unknown as { records: { id: string }[] }).records.map((r) => r.id));
      expect(queued).toContain(res.body.id);
    });

    it('text Postgres cannot hold (NUL, lone surrogates) is stored as U+FFFD and does not sink its batch', async () => {
      const res = await call<{ id: string }>(f.t, 'POST', '/api/v1/chat/completions', {
        key: f.key,
        body: { model: 'test/a-only', user: 'a\u0000b\ud800c', messages: [{ role: 'user', content: 'odd user' }] },
      });
      expect(res.status).toBe(200);
      const principal = await f.t.get(KeysService).authenticate(`Bearer ${f.key}`);
      const ids = Array.from({ length: 6 }, (_, i) => `gen-odd${Date.now()}x${i}`);
      const odd = { ...record(ids[0], principal), appTitle: '\udc00title', externalUser: 'x\u0000' };
      await Promise.all([odd, ...ids.slice(1).map((id) => record(id, principal))].map((r) => f.t.get(UsageService).record(r)));
      for (const id of [res.body.id, ...ids]) expect((await generation(f, id)).id).toBe(id);
      const rows = await sql<{ id: string; external_user: string; app_title: string | null }>(
        `SELECT id, external_user, app_title FROM generations WHERE id = ANY($1) ORDER BY id`,
        [[res.body.id, ids[0]]],
      );
      expect(Object.fromEntries(rows.map((r) => [r.id, [r.external_user, r.app_title]]))).toEqual({
        [res.body.id]: ['a\uFFFDb\uFFFDc', null],
        [ids[0]]: ['x\uFFFD', '\uFFFDtitle'],
      });
    });

    it('a record Postgres refuses as data is reported, and the rest of its batch is written', async () => {
      const principal = await f.t.get(KeysService).authenticate(`Bearer ${f.key}`);
      const ids = Array.from({ length: 4 }, (_, i) => `gen-refused${Date.now()}x${i}`);
      const bad = { ...record(ids[0], principal), tokensPrompt: 2 ** 40 }; // beyond an integer column
      const { refused } = await f.t.get(GenerationsRepository).insert([bad, ...ids.slice(1).map((id) => record(id, principal))]);
      expect(refused).toEqual([ids[0]]);
      for (const id of ids.slice(1)) expect((await generation(f, id)).id).toBe(id);
      expect((await sql(`SELECT 1 FROM generations WHERE id = $1`, [ids[0]])).length).toBe(0);
    });

    it('a job queued by an older version (one record, not a batch) is still written', async () => {
      const principal = await f.t.get(KeysService).authenticate(`Bearer ${f.key}`);
      const id = `gen-legacy${Date.now()}`;
      await queue().add(record(id, principal) as never);
      expect(await generation(f, id)).toMatchObject({ id, tokens_prompt: 3, tokens_completion: 4, total_cost: 0.000001234 });
    });
  });
});

/** A finished request's record as the gateway writes it. */
function record(id: string, principal: KeyPrincipal): GenerationRecord {
  return {
    id,
    userId: principal.userId,
    keyId: principal.keyId,
    requestId: `req-${id}`,
    apiType: 'completions',
    requestedModel: 'test/a-only',
    model: 'test/a-only',
    providerSlug: 'alpha',
    providerName: 'Alpha',
    upstreamModel: 'a-only',
    streamed: false,
    cancelled: false,
    finishReason: 'stop',
    nativeFinishReason: 'stop',
    tokensPrompt: 3,
    tokensCompletion: 4,
    tokensCached: 0,
    tokensReasoning: 0,
    usageEstimated: false,
    costNanos: '1234',
    holdNanos: '5000',
    latencyMs: 5,
    ttftMs: 4,
    generationTimeMs: 1,
    appId: null,
    httpReferer: null,
    appTitle: null,
    userAgent: null,
    externalUser: null,
    sessionId: null,
    errorCode: null,
    errorMessage: null,
    attempts: [],
    createdAt: new Date().toISOString(),
  };
}
