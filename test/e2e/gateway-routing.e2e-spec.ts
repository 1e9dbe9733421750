import OpenAI from 'openai';
import { HoldsService } from '../../src/credits/holds.service';
import { LedgerService } from '../../src/credits/ledger.service';
import { EndpointHealthService } from '../../src/routing/endpoint-health.service';
import { call, createKey } from '../support/factories';
import { GatewayFixture, startGatewayFixture } from '../support/gateway-fixture';

type Body = Record<string, unknown>;
const user = [{ role: 'user', content: 'hi' }];

describe('routing and fallbacks', () => {
  let f: GatewayFixture;
  beforeAll(async () => {
    // Fallbacks only: retries of the same endpoint (and their waits) are the failover tests' subject.
    f = await startGatewayFixture({ env: { UPSTREAM_RETRY_BUDGET: '0' } });
  });
  afterAll(() => f.close());

  const chat = (body: Body) =>
    call<Body & { provider?: string; error?: { code: number; message: string; metadata: Body } }>(f.t, 'POST', '/api/v1/chat/completions', {
      key: f.key,
      body: { messages: user, max_tokens: 50, ...body },
    });
  const upstreamsHit = () => ({ a: f.fakes.a.seen.length, b: f.fakes.b.seen.length });
  const delta = (before: { a: number; b: number }) => ({ a: f.fakes.a.seen.length - before.a, b: f.fakes.b.seen.length - before.b });

  it.each([
    ['500', 'test/fail-first'],
    ['429', 'test/limited-first'],
    ['a timeout', 'test/slow-first'],
  ])('provider 1 answering %s -> provider 2 serves', async (_what, model) => {
    const before = upstreamsHit();
    const res = await chat({ model, provider: { order: ['alpha', 'beta'] } });
    expect(res.status).toBe(200);
    expect(res.body.provider).toBe('Beta');
    expect(delta(before)).toEqual({ a: 1, b: 1 });
  });

  it('allow_fallbacks:false returns the provider error instead', async () => {
    const before = upstreamsHit();
    const res = await chat({ model: 'test/fail-first', provider: { order: ['alpha'], allow_fallbacks: false } });
    expect(res.status).toBe(502);
    expect(res.body.error!.message).toBe('Provider returned error');
    expect(res.body.error!.metadata.provider_name).toBe('Alpha');
    expect(res.body.error!.metadata.raw).toContain('fake failure 500');
    expect(delta(before)).toEqual({ a: 1, b: 0 });
  });

  it('a 429 from the last provider is a 429 with the provider named', async () => {
    const res = await chat({ model: 'test/limited-first', provider: { only: ['alpha'] } });
    expect(res.status).toBe(429);
    expect(res.body.error!.metadata.provider_name).toBe('Alpha');
  });

  it('models[] falls back to the next model when every endpoint of the first fails', async () => {
    const res = await chat({ model: 'test/all-fail', models: ['test/a-only'] });
    expect(res.status).toBe(200);
    expect(res.body.model).toBe('test/a-only');
    const previous = (res.body as Body).provider;
    expect(previous).toBe('Alpha');
  });

  it('a client error from a provider skips its model, not just the endpoint', async () => {
    const before = upstreamsHit();
    const res = await chat({ model: 'test/bad-request', provider: { order: ['alpha', 'beta'] }, models: ['test/a-only'] });
    expect(res.status).toBe(200);
    expect(res.body.model).toBe('test/a-only');
    expect(delta(before)).toEqual({ a: 2, b: 0 }); // beta (same model) was not tried
  });

  it('nothing is retried after the first streamed byte; a cut stream ends in an error chunk', async () => {
    const before = upstreamsHit();
    const res = await fetch(`${f.t.url}/api/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${f.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'test/cut', provider: { order: ['alpha', 'beta'] }, messages: user, stream: true, max_tokens: 50 }),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    const events = text
      .split('\n\n')
      .filter((e) => e.startsWith('data: '))
      .map((e) => e.slice(6));
    expect(events[events.length - 1]).toBe('[DONE]');
    const last = JSON.parse(events[events.length - 2]) as {
      error: { code: number };
      choices: { finish_reason: string }[];
      usage: { cost: number };
    };
    expect(last.error.code).toBe(502);
    expect(last.choices[0].finish_reason).toBe('error');
    const contentChunks = events.slice(0, -2).map((e) => JSON.parse(e) as { choices: { delta: { content?: string } }[] });
    expect(contentChunks.map((c) => c.choices[0].delta.content ?? '').join('')).toBe('Hello from');
    expect(last.usage.cost).toBeGreaterThan(0); // the tokens produced are paid for
    expect(delta(before)).toEqual({ a: 1, b: 0 });
  });

  describe('streams that fail before or after their first output', () => {
    type Chunk = {
      provider: string;
      error?: { code: number; message: string; metadata: Body };
      choices: { delta: { role?: string; content?: string }; finish_reason: string | null }[];
    };
    const stream = async (model: string, provider: Body = { order: ['alpha', 'beta'] }) => {
      const res = await fetch(`${f.t.url}/api/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${f.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, provider, messages: user, stream: true, max_tokens: 50 }),
      });
      const text = await res.text();
      const data = text
        .split('\n\n')
        .filter((e) => e.startsWith('data: '))
        .map((e) => e.slice(6));
      return { res, text, chunks: data.filter((d) => d !== '[DONE]').map((d) => JSON.parse(d) as Chunk) };
    };
    // A spy records the calls and still settles.
    let settlements: jest.SpiedFunction<HoldsService['settle']>;
    beforeAll(() => {
      settlements = jest.spyOn(f.t.get(HoldsService), 'settle');
    });
    afterAll(() => settlements.mockRestore());
    afterAll(() => jest.restoreAllMocks());
    const settledFor = async (genId: string) => {
      const until = Date.now() + 3000;
      while (!settlements.mock.calls.some((c) => c[0] === genId) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 100)); // room for a second settlement, were there one
      return settlements.mock.calls.filter((c) => c[0] === genId);
    };

    it.each([
      ['an OpenAI-compatible error event', 'test/stream-error-first', 'a'],
      ['an Anthropic overloaded_error event', 'test/claude-overloaded-first', 'anthropic'],
      ['the body ending', 'test/stream-ends-first', 'a'],
    ] as const)('%s before any content -> the next provider serves the stream', async (_what, model, first) => {
      const before = { first: f.fakes[first].seen.length, b: f.fakes.b.seen.length };
      const { res, text, chunks } = await stream(model, { order: first === 'a' ? ['alpha', 'beta'] : ['claude-co', 'beta'] });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
      expect(chunks.some((c) => c.error || c.choices[0]?.finish_reason === 'error')).toBe(false);
      expect(chunks.every((c) => c.provider === 'Beta')).toBe(true);
      expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hello from fake-openai.');
      expect(chunks.filter((c) => c.choices[0]?.delta.role === 'assistant')).toHaveLength(1);
      expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
      expect({ first: f.fakes[first].seen.length - before.first, b: f.fakes.b.seen.length - before.b }).toEqual({ first: 1, b: 1 });
      const settled = await settledFor(res.headers.get('x-generation-id')!);
      expect(settled).toHaveLength(1);
      expect(settled[0][1]).toBeGreaterThan(0n);
      expect(settled[0][2]).toBe('completed');
    });

    it('an error event with [DONE] after it, before any content, is a failed attempt: the next provider serves', async () => {
      const health = f.t.get(EndpointHealthService);
      const failures = jest.spyOn(health, 'recordFailure');
      const before = upstreamsHit();
      const { res, chunks } = await stream('test/stream-error-done-first');
      expect(res.status).toBe(200);
      expect(chunks.some((c) => c.error || c.choices[0]?.finish_reason === 'error')).toBe(false);
      expect(chunks.every((c) => c.provider === 'Beta')).toBe(true);
      expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hello from fake-openai.');
      expect(delta(before)).toEqual({ a: 1, b: 1 });
      expect(failures.mock.calls.map(([e, kind]) => [e.provider.slug, kind])).toEqual([['alpha', 'server_error']]);
      failures.mockRestore();
      const genId = res.headers.get('x-generation-id')!;
      expect(await settledFor(genId)).toHaveLength(1);
      let record: { status: number; body: { data: { provider_responses: Body[] } } } | undefined;
      const until = Date.now() + 5000;
      while (
        (record = await call<{ data: { provider_responses: Body[] } }>(f.t, 'GET', `/api/v1/generation?id=${genId}`, { key: f.key }))
          .status !== 200 &&
        Date.now() < until
      ) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(record!.body.data.provider_responses).toEqual([
        expect.objectContaining({ provider_name: 'Alpha', status: 503, error: 'fake stream error 503' }),
        expect.objectContaining({ provider_name: 'Beta', status: 200, error: null }),
      ]);
    });

    it.each([
      ['a 5xx-class error event', 'test/stream-error-only', 502, 'provider_unavailable'],
      ['a rate limit error event', 'test/stream-limited-only', 429, 'rate_limit_exceeded'],
    ])('%s from the only provider before any content is a plain JSON error', async (_what, model, status, type) => {
      const before = settlements.mock.calls.length;
      const { res, text } = await stream(model, { only: ['alpha'] });
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      const body = JSON.parse(text) as { error: { code: number; metadata: Body } };
      expect(body.error.code).toBe(status);
      expect(body.error.metadata).toMatchObject({ error_type: type, provider_name: 'Alpha' });
      await new Promise((r) => setTimeout(r, 300));
      const settled = settlements.mock.calls.slice(before);
      expect(settled).toHaveLength(1);
      expect(settled[0].slice(1)).toEqual([0n, 'error']);
    });

    it.each([
      [
        'a rate limit',
        'test/stream-limited-late',
        {
          code: 429,
          message: 'fake stream error 429',
          metadata: { error_type: 'rate_limit_exceeded', provider_name: 'Alpha', provider_code: '429' },
        },
      ],
      [
        'a server error',
        'test/stream-error-late',
        { code: 502, message: 'Provider returned error', metadata: { error_type: 'provider_unavailable', provider_name: 'Alpha' } },
      ],
    ])('%s event after content ends the stream with an error chunk carrying its mapped code, no fallback', async (_what, model, error) => {
      const before = upstreamsHit();
      const { res, chunks } = await stream(model);
      expect(res.status).toBe(200);
      const last = chunks[chunks.length - 1];
      expect(last.choices[0].finish_reason).toBe('error');
      expect(last.error).toEqual(error); // a 5xx is masked: no provider message, no provider_code
      expect(
        chunks
          .slice(0, -1)
          .map((c) => c.choices[0]?.delta.content ?? '')
          .join(''),
      ).toBe('Hello from');
      expect(delta(before)).toEqual({ a: 1, b: 0 });
      expect(await settledFor(res.headers.get('x-generation-id')!)).toHaveLength(1);
    });

    it('a client that leaves while the stream waits for its first output is billed what the provider went on to produce, settled once', async () => {
      const before = { calls: settlements.mock.calls.length, seen: f.fakes.a.seen.length };
      const controller = new AbortController();
      const pending = fetch(`${f.t.url}/api/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${f.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'test/stall', messages: user, stream: true, max_tokens: 50 }),
        signal: controller.signal,
      }).then((r) => r.text());
      const until = Date.now() + 3000;
      while (f.fakes.a.seen.length === before.seen && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 100));
      controller.abort();
      await expect(pending).rejects.toThrow();
      const upstream = f.fakes.a.seen[before.seen];
      // The upstream stalls 5 s before its output; it is read to its end for its usage.
      const gone = Date.now() + 8000;
      while (settlements.mock.calls.length === before.calls && Date.now() < gone) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 100));
      expect(upstream.aborted).toBeFalsy();
      const settled = settlements.mock.calls.slice(before.calls);
      expect(settled).toHaveLength(1);
      expect(settled[0][2]).toBe('cancelled');
      expect(settled[0][1]).toBeGreaterThan(0n);
    });
  });

  it('the openai client sees a mid-stream error as an error', async () => {
    const stream = await f.client.chat.completions.create({
      model: 'test/cut',
      provider: { only: ['alpha'] },
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    } as OpenAI.ChatCompletionCreateParamsStreaming);
    await expect(
      (async () => {
        for await (const _ of stream) void _;
      })(),
    ).rejects.toThrow(/stream/i);
  });

  describe('provider preferences', () => {
    it('order decides the first provider', async () => {
      expect((await chat({ model: 'test/chat', provider: { order: ['beta', 'alpha'] } })).body.provider).toBe('Beta');
      expect((await chat({ model: 'test/chat', provider: { order: ['alpha', 'beta'] } })).body.provider).toBe('Alpha');
    });

    it('sort: price picks the cheapest every time', async () => {
      for (let i = 0; i < 5; i++) expect((await chat({ model: 'test/chat', provider: { sort: 'price' } })).body.provider).toBe('Alpha');
      expect((await chat({ model: 'test/chat:floor' })).body.provider).toBe('Alpha');
    });

    it('only and ignore filter providers', async () => {
      for (let i = 0; i < 5; i++) {
        expect((await chat({ model: 'test/chat', provider: { only: ['beta'] } })).body.provider).toBe('Beta');
        expect((await chat({ model: 'test/chat', provider: { ignore: ['beta'] } })).body.provider).toBe('Alpha');
      }
      const none = await chat({ model: 'test/chat', provider: { only: ['nobody'] } });
      expect(none.status).toBe(404);
    });

    it('max_price excludes endpoints above it (USD per million tokens)', async () => {
      for (let i = 0; i < 5; i++)
        expect((await chat({ model: 'test/chat', provider: { max_price: { prompt: 1.5 } } })).body.provider).toBe('Alpha');
      const none = await chat({ model: 'test/chat', provider: { max_price: { prompt: 0.5 } } });
      expect(none.status).toBe(404);
      expect(none.body.error!.message).toMatch(/max_price/);
    });

    it('require_parameters keeps only endpoints that support every parameter sent', async () => {
      for (let i = 0; i < 5; i++) {
        const res = await chat({ model: 'test/no-tools', provider: { require_parameters: true, order: ['alpha', 'beta'] }, seed: 7 });
        expect(res.body.provider).toBe('Beta'); // alpha does not list seed
      }
      expect((await chat({ model: 'test/no-tools', provider: { order: ['alpha', 'beta'] }, seed: 7 })).body.provider).toBe('Alpha');
    });

    it('tools and response_format go to endpoints that list them, without require_parameters', async () => {
      const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }];
      const schema = {
        type: 'json_schema',
        json_schema: { name: 'ok', schema: { type: 'object', properties: { ok: { type: 'boolean' } } } },
      };
      // test/no-tools: Alpha (cheaper, first in order) lists neither; Beta lists both.
      for (const extra of [
        { tools },
        { tools, tool_choice: 'auto' },
        { response_format: { type: 'json_object' } },
        { response_format: schema },
      ]) {
        for (let i = 0; i < 4; i++) expect((await chat({ model: 'test/no-tools', ...extra })).body.provider).toBe('Beta');
        expect((await chat({ model: 'test/no-tools', provider: { order: ['alpha', 'beta'] }, ...extra })).body.provider).toBe('Beta');
      }
      // The text format and an empty tool list need no capability; without these fields the order holds.
      expect(
        (await chat({ model: 'test/no-tools', provider: { order: ['alpha', 'beta'] }, response_format: { type: 'text' } })).body.provider,
      ).toBe('Alpha');
      expect((await chat({ model: 'test/no-tools', provider: { order: ['alpha', 'beta'] }, tools: [] })).body.provider).toBe('Alpha');
      expect((await chat({ model: 'test/no-tools', provider: { order: ['alpha', 'beta'] } })).body.provider).toBe('Alpha');
      // A provider pinned with allow_fallbacks: false is served, capable or not.
      const pinned = await chat({ model: 'test/no-tools', provider: { order: ['alpha'], allow_fallbacks: false }, tools });
      expect(pinned.status).toBe(200);
      expect(pinned.body.provider).toBe('Alpha');
      // A preference, never a filter: a model none of whose endpoints list tools still answers.
      const unlisted = await chat({ model: 'test/unlisted-params', tools });
      expect(unlisted.status).toBe(200);
      expect(unlisted.body.provider).toBe('Alpha');
    });

    it('data_collection: deny and zdr keep only providers with that policy', async () => {
      expect((await chat({ model: 'test/chat', provider: { data_collection: 'deny' } })).body.provider).toBe('Beta');
      expect((await chat({ model: 'test/chat', provider: { zdr: true } })).body.provider).toBe('Beta');
    });
  });

  it('management keys cannot call inference endpoints', async () => {
    const mgmt = await createKey(f.t, { cookie: f.user.cookie }, { management: true, name: 'mgmt' });
    const res = await call<{ error: { message: string } }>(f.t, 'POST', '/api/v1/chat/completions', {
      key: mgmt.key,
      body: { model: 'test/a-only', messages: user },
    });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toMatch(/Management keys cannot call inference/);
  });

  it('every request left the ledger sound', async () => {
    expect(await f.t.get(LedgerService).check()).toEqual([]);
  });

  it('unknown models, bad suffixes and the wrong endpoint for a model are 400', async () => {
    expect((await chat({ model: 'nobody/nothing' })).status).toBe(400);
    expect((await chat({ model: 'test/chat:weird' })).status).toBe(400);
    expect((await chat({ model: 'test/embed' })).status).toBe(400);
  });
});
