import Anthropic, { APIError, AuthenticationError, BadRequestError, PermissionDeniedError, RateLimitError } from '@anthropic-ai/sdk';
import { queryRows } from '../../src/common/database/sql';
import { usdToNanos } from '../../src/common/money/money';
import { CreditsService } from '../../src/credits/credits.service';
import { LedgerService } from '../../src/credits/ledger.service';
import { createKey, signUp } from '../support/factories';
import { FAKE_ANTHROPIC_THINKING } from '../support/fake-upstreams/anthropic';
import { FAKE_OPENAI_REASONING } from '../support/fake-upstreams/openai';
import { GatewayFixture, startGatewayFixture } from '../support/gateway-fixture';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const weather: Anthropic.Tool = {
  name: 'get_weather',
  description: 'The weather in a city',
  input_schema: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
};

/** A settled hold, as the request's settlement left it (it settles right after the answer). */
async function settledHold(f: GatewayFixture, id: string): Promise<{ status: string; actual: string; reason: string }> {
  const until = Date.now() + 10_000;
  for (;;) {
    const [h] = await queryRows<{ status: string; actual: string; reason: string }>(
      f.t.get(LedgerService).dataSource,
      `SELECT status, actual::text, reason FROM credit_holds WHERE id = $1`,
      [id],
    );
    if (h?.status === 'settled' || Date.now() > until) return h;
    await sleep(50);
  }
}

/** The generation record of a request (written through a queue). */
async function generation(
  f: GatewayFixture,
  id: string,
): Promise<{ cost: string; streamed: boolean; model: string; cancelled: boolean } | undefined> {
  const until = Date.now() + 10_000;
  for (;;) {
    const [g] = await queryRows<{ cost: string; streamed: boolean; model: string; cancelled: boolean }>(
      f.t.get(LedgerService).dataSource,
      `SELECT cost_nanos::text AS cost, streamed, model, cancelled FROM generations WHERE id = $1`,
      [id],
    );
    if (g || Date.now() > until) return g;
    await sleep(100);
  }
}

describe('Anthropic Messages API (POST /api/v1/messages) driven by @anthropic-ai/sdk', () => {
  let f: GatewayFixture;
  let client: Anthropic;
  const sdk = (opts: ConstructorParameters<typeof Anthropic>[0]) =>
    new Anthropic({ baseURL: `${f.t.url}/api`, maxRetries: 0, timeout: 20_000, ...opts });

  beforeAll(async () => {
    f = await startGatewayFixture();
    // The SDK sends the key as x-api-key and posts to `${baseURL}/v1/messages`.
    client = sdk({ apiKey: f.key });
  });
  afterEach(async () => {
    expect(await f.t.get(LedgerService).check()).toEqual([]);
  });
  afterAll(() => f.close());

  describe('an Anthropic upstream', () => {
    it('messages.create with thinking and tools, then the tool_result follow-up with the signed thinking sent back', async () => {
      const first = await client.messages.create({
        model: 'test/claude',
        max_tokens: 2048,
        system: [{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }],
        thinking: { type: 'enabled', budget_tokens: 1024 },
        tools: [weather],
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
      });
      expect(first.type).toBe('message');
      expect(first.role).toBe('assistant');
      expect(first.model).toBe('test/claude');
      expect(first.stop_reason).toBe('tool_use');
      expect(first.content).toEqual([
        { type: 'thinking', thinking: FAKE_ANTHROPIC_THINKING.join(''), signature: 'fake-signature' },
        { type: 'tool_use', id: expect.stringMatching(/^toolu_fake_/), name: 'get_weather', input: { location: 'Paris' } },
      ]);
      // The fake writes the whole prompt to the cache (a cache_control) and bills 2 thinking + 2 JSON chunks.
      expect(first.usage).toMatchObject({ input_tokens: 0, output_tokens: 4 });
      expect(first.usage.cache_creation_input_tokens).toBeGreaterThan(0);
      const sent = f.fakes.anthropic.seen.at(-1)!.body;
      expect(sent.thinking).toEqual({ type: 'enabled', budget_tokens: 1024 });
      expect(sent.system).toEqual([{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }]);
      expect(sent.tools[0]).toMatchObject({ name: 'get_weather', input_schema: weather.input_schema });

      const toolUse = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
      const second = await client.messages.create({
        model: 'test/claude',
        max_tokens: 2048,
        thinking: { type: 'enabled', budget_tokens: 1024 },
        tools: [weather],
        messages: [
          { role: 'user', content: 'Weather in Paris?' },
          { role: 'assistant', content: first.content },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: toolUse.id, content: 'Sunny, 21 C' },
              { type: 'text', text: 'And tomorrow?' },
            ],
          },
        ],
      });
      expect(second.type).toBe('message');
      const followUp = f.fakes.anthropic.seen.at(-1)!.body;
      expect(followUp.messages).toEqual([
        { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: FAKE_ANTHROPIC_THINKING.join(''), signature: 'fake-signature' },
            { type: 'tool_use', id: toolUse.id, name: 'get_weather', input: { location: 'Paris' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: toolUse.id, content: 'Sunny, 21 C' },
            { type: 'text', text: 'And tomorrow?' },
          ],
        },
      ]);
    });

    it('messages.stream with thinking and tools: every event type, the signature, the billed usage; the follow-up streams too', async () => {
      const stream = client.messages.stream({
        model: 'test/claude',
        max_tokens: 2048,
        thinking: { type: 'enabled', budget_tokens: 1024 },
        tools: [weather],
        tool_choice: { type: 'auto' },
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
      });
      const types: string[] = [];
      stream.on('streamEvent', (e) => types.push(e.type === 'content_block_delta' ? e.delta.type : e.type));
      const message = await stream.finalMessage();
      expect(types[0]).toBe('message_start');
      expect(types).toEqual(
        expect.arrayContaining([
          'content_block_start',
          'thinking_delta',
          'signature_delta',
          'content_block_stop',
          'input_json_delta',
          'message_delta',
        ]),
      );
      expect(types.at(-1)).toBe('message_stop');
      expect(message.content).toEqual([
        { type: 'thinking', thinking: FAKE_ANTHROPIC_THINKING.join(''), signature: 'fake-signature' },
        { type: 'tool_use', id: expect.stringMatching(/^toolu_fake_/), name: 'get_weather', input: { location: 'Paris' } },
      ]);
      expect(message.stop_reason).toBe('tool_use');
      expect(message.usage.output_tokens).toBe(4);
      expect(message.usage.input_tokens).toBeGreaterThan(0);

      const toolUse = message.content[1] as Anthropic.ToolUseBlock;
      const next = await client.messages
        .stream({
          model: 'test/claude',
          max_tokens: 2048,
          thinking: { type: 'enabled', budget_tokens: 1024 },
          messages: [
            { role: 'user', content: 'Weather in Paris?' },
            { role: 'assistant', content: message.content },
            { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: [{ type: 'text', text: 'Sunny' }] }] },
          ],
        })
        .finalMessage();
      expect(next.content.at(-1)).toEqual({ type: 'text', text: 'Hello from fake-anthropic', citations: null });
      expect(next.stop_reason).toBe('end_turn');
      const sent = f.fakes.anthropic.seen.at(-1)!.body;
      expect(sent.messages[1].content[0]).toEqual({
        type: 'thinking',
        thinking: FAKE_ANTHROPIC_THINKING.join(''),
        signature: 'fake-signature',
      });
      // Plain text blocks reach the upstream as one string: the same content to the model.
      expect(sent.messages[2]).toEqual({ role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: 'Sunny' }] });
    });
  });

  describe('an OpenAI-compatible upstream answering Messages', () => {
    it('messages.create with thinking and tools: reasoning as a thinking block, the tool call as tool_use; the tool_result follow-up as a tool message', async () => {
      const first = await client.messages.create({
        model: 'test/a-only',
        max_tokens: 1000,
        system: 'You are terse.',
        thinking: { type: 'enabled', budget_tokens: 1024 },
        tools: [weather],
        tool_choice: { type: 'tool', name: 'get_weather' },
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
      });
      expect(first.content).toEqual([
        { type: 'thinking', thinking: FAKE_OPENAI_REASONING.join(''), signature: '' },
        { type: 'tool_use', id: 'call_fake_1', name: 'get_weather', input: { location: 'Paris' } },
      ]);
      expect(first.stop_reason).toBe('tool_use');
      expect(first.usage.output_tokens).toBeGreaterThan(0);
      const sent = f.fakes.a.seen.at(-1)!.body;
      expect(sent.messages).toEqual([
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Weather in Paris?' },
      ]);
      expect(sent.tools).toEqual([
        { type: 'function', function: { name: 'get_weather', description: 'The weather in a city', parameters: weather.input_schema } },
      ]);
      expect(sent.tool_choice).toEqual({ type: 'function', function: { name: 'get_weather' } });
      expect(typeof sent.reasoning_effort).toBe('string');

      await client.messages.create({
        model: 'test/a-only',
        max_tokens: 1000,
        tools: [weather],
        messages: [
          { role: 'user', content: 'Weather in Paris?' },
          { role: 'assistant', content: first.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_fake_1', content: 'Sunny', is_error: false }] },
        ],
      });
      expect(f.fakes.a.seen.at(-1)!.body.messages).toEqual([
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_fake_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }],
        },
        { role: 'tool', tool_call_id: 'call_fake_1', content: 'Sunny' },
      ]);
    });

    it('messages.stream with thinking: thinking then text blocks, stop_reason and usage; with tools: a streamed tool_use', async () => {
      const stream = client.messages.stream({
        model: 'test/a-only',
        max_tokens: 1000,
        thinking: { type: 'enabled', budget_tokens: 1024 },
        messages: [{ role: 'user', content: 'hello there' }],
      });
      const texts: string[] = [];
      stream.on('text', (t) => texts.push(t));
      const message = await stream.finalMessage();
      expect(message.content).toEqual([
        { type: 'thinking', thinking: FAKE_OPENAI_REASONING.join(''), signature: '' },
        { type: 'text', text: 'Hello from fake-openai.', citations: null },
      ]);
      expect(texts.join('')).toBe('Hello from fake-openai.');
      expect(message.stop_reason).toBe('end_turn');
      // 2 reasoning chunks and 5 words; "hello there" is 3 prompt tokens.
      expect(message.usage).toMatchObject({ input_tokens: 3, output_tokens: 7 });

      const tools = await client.messages
        .stream({ model: 'test/a-only', max_tokens: 1000, tools: [weather], messages: [{ role: 'user', content: 'Weather?' }] })
        .finalMessage();
      expect(tools.content).toEqual([{ type: 'tool_use', id: 'call_fake_1', name: 'get_weather', input: { location: 'Paris' } }]);
      expect(tools.stop_reason).toBe('tool_use');
    });
  });

  it('a Gemini upstream answers a Messages request', async () => {
    const message = await client.messages.create({ model: 'test/gemini', max_tokens: 100, messages: [{ role: 'user', content: 'hello' }] });
    expect(message.content[0].type).toBe('text');
    expect(message.stop_reason).toBe('end_turn');
  });

  it('takes the key as a bearer token too, ignores anthropic-version / anthropic-beta, and honours models fallbacks and provider', async () => {
    const bearer = sdk({ apiKey: null, authToken: f.key, defaultHeaders: { 'anthropic-beta': 'interleaved-thinking-2025-05-14' } });
    const message = await bearer.messages.create({
      model: 'test/all-fail',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'hello' }],
      // OpenRouter's routing extras, which the Anthropic SDK passes through as extra body fields.
      ...({ models: ['test/a-only'], provider: { allow_fallbacks: true } } as object),
    } as Anthropic.MessageCreateParamsNonStreaming);
    expect(message.model).toBe('test/a-only');
    expect(message.content).toEqual([{ type: 'text', text: 'Hello from fake-openai.', citations: null }]);
  });

  describe('errors in Anthropic’s shape, as the SDK’s typed errors', () => {
    it('a bad key: AuthenticationError, from x-api-key and from a bearer token', async () => {
      await expect(
        sdk({ apiKey: 'sk-sy-v1-nope' }).messages.create({
          model: 'test/a-only',
          max_tokens: 10,
          messages: [{ role: 'user', content: 'hi' }],
        }),
      ).rejects.toBeInstanceOf(AuthenticationError);
      const res = await fetch(`${f.t.url}/api/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'test/a-only', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ type: 'error', error: { type: 'authentication_error', message: expect.any(String) } });
    });

    it('x-api-key is checked before the body is read, and lets large bodies in; other routes do not take it', async () => {
      // Over the small body limit of routes that do not authenticate first (64 KB), within the model's context.
      const big = 'x'.repeat(80_000);
      const ok = await client.messages.create({ model: 'test/a-only', max_tokens: 10, messages: [{ role: 'user', content: big }] });
      expect(ok.type).toBe('message');
      const anonymous = await fetch(`${f.t.url}/api/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'test/a-only', max_tokens: 10, messages: [{ role: 'user', content: big }] }),
      });
      expect(anonymous.status).toBe(401);
      expect(await anonymous.json()).toEqual({ type: 'error', error: { type: 'authentication_error', message: expect.any(String) } });
      const tooLarge = await fetch(`${f.t.url}/api/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': f.key, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'test/a-only', max_tokens: 10, messages: [{ role: 'user', content: 'y'.repeat(11 * 1024 * 1024) }] }),
      });
      expect(tooLarge.status).toBe(413);
      expect(await tooLarge.json()).toMatchObject({ type: 'error', error: { type: 'request_too_large' } });
      const chat = await fetch(`${f.t.url}/api/v1/chat/completions`, {
        method: 'POST',
        headers: { 'x-api-key': f.key, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'test/a-only', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(chat.status).toBe(401);
      expect(((await chat.json()) as { error: { code: number } }).error.code).toBe(401);
    });

    it('missing max_tokens, a bad block, a server tool: BadRequestError (400, invalid_request_error), never a 500', async () => {
      const bad = [
        { model: 'test/a-only', messages: [{ role: 'user', content: 'hi' }] },
        { model: 'test/a-only', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'mystery' }] }] },
        {
          model: 'test/a-only',
          max_tokens: 10,
          messages: [{ role: 'user', content: [{ type: 'tool_use', id: 'x', name: 'y', input: {} }] }],
        },
        {
          model: 'test/a-only',
          max_tokens: 10,
          tools: [{ type: 'web_search_20250305', name: 'web_search' }],
          messages: [{ role: 'user', content: 'hi' }],
        },
        { model: 'test/a-only', max_tokens: 10, messages: 'hi' },
        {
          model: 'test/a-only',
          max_tokens: 10,
          thinking: { type: 'enabled', budget_tokens: 5 },
          messages: [{ role: 'user', content: 'hi' }],
        },
        { max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] },
        { model: 'test/a-only', max_tokens: 10, messages: [{ role: 'user', content: [null] }] },
        { model: 'test/a-only', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'image', source: null }] }] },
        {
          model: 'test/a-only',
          max_tokens: 10,
          messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'text/html', data: 'x' } }] }],
        },
        {
          model: 'test/a-only',
          max_tokens: 10,
          messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'url', url: 'https://x/y.pdf' } }] }],
        },
        {
          model: 'test/a-only',
          max_tokens: 10,
          messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'tool_use' }] }] }],
        },
        { model: 'test/a-only', max_tokens: 10, messages: [{ role: 'system', content: 'hi' }] },
        { model: 'test/a-only', max_tokens: 10, messages: [{ role: 'user', content: 5 }] },
        { model: 'test/a-only', max_tokens: 10, tools: [null], messages: [{ role: 'user', content: 'hi' }] },
        { model: 'test/a-only', max_tokens: 10, tools: [{ name: 'f' }], messages: [{ role: 'user', content: 'hi' }] },
        { model: 'test/a-only', max_tokens: 10, system: [{ type: 'text' }], messages: [{ role: 'user', content: 'hi' }] },
        { model: 'test/a-only', max_tokens: 10, tool_choice: 'auto', messages: [{ role: 'user', content: 'hi' }] },
        { model: 'test/a-only', max_tokens: 10, thinking: { type: 'enabled' }, messages: [{ role: 'user', content: 'hi' }] },
        { model: 'test/a-only', max_tokens: 10, metadata: { user_id: 5 }, messages: [{ role: 'user', content: 'hi' }] },
        { model: 'test/a-only', max_tokens: 10, stop_sequences: 'END', messages: [{ role: 'user', content: 'hi' }] },
        { model: 'test/a-only', max_tokens: -1, messages: [{ role: 'user', content: 'hi' }] },
        { model: 'test/a-only', max_tokens: '10', messages: [{ role: 'user', content: 'hi' }] },
        { model: 'test/a-only', max_tokens: 10, temperature: 2, messages: [{ role: 'user', content: 'hi' }] },
        { model: 'test/a-only', max_tokens: 10, cache_control: { type: 'forever' }, messages: [{ role: 'user', content: 'hi' }] },
        {
          model: 'test/a-only',
          max_tokens: 10,
          messages: [{ role: 'user', content: [{ type: 'text', text: 'hi', cache_control: { type: 'ephemeral', ttl: '1d' } }] }],
        },
        { model: 'test/a-only', max_tokens: 10, messages: [] },
      ];
      for (const body of bad) {
        const err = await client.messages.create(body as unknown as Anthropic.MessageCreateParamsNonStreaming).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(BadRequestError);
        expect((err as BadRequestError).error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
      }
      const first = await client.messages
        .create(bad[0] as unknown as Anthropic.MessageCreateParamsNonStreaming)
        .catch((e: BadRequestError) => e);
      expect((first as BadRequestError).message).toMatch(/max_tokens/);
      const res = await fetch(`${f.t.url}/api/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': f.key, 'content-type': 'application/json' },
        body: '{"model":',
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    });

    it('a key cap: PermissionDeniedError (403); no credit: 402 as permission_error', async () => {
      const u = await signUp(f.t, 'capped');
      await f.t.get(CreditsService).grant(u.id, usdToNanos(10), 'test');
      const capped = sdk({ apiKey: (await createKey(f.t, { cookie: u.cookie }, { limit: 0.01 })).key });
      const err = await capped.messages
        .create({ model: 'test/pricey-full', max_tokens: 1000, messages: [{ role: 'user', content: 'hi' }] })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PermissionDeniedError);
      expect((err as APIError).error).toMatchObject({
        type: 'error',
        error: { type: 'permission_error', message: expect.stringMatching(/^Key limit exceeded/) },
      });

      const poor = await signUp(f.t, 'poor');
      const broke = sdk({ apiKey: (await createKey(f.t, { cookie: poor.cookie })).key });
      const refused = await broke.messages
        .create({ model: 'test/pricey-full', max_tokens: 1000, messages: [{ role: 'user', content: 'hi' }] })
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(APIError);
      expect((refused as APIError).status).toBe(402);
      expect((refused as APIError).error).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
    });

    it('no provider can serve: the status stays ours (5xx), the body is Anthropic’s', async () => {
      const err = await client.messages
        .create({ model: 'test/all-fail', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(APIError);
      expect((err as APIError).status).toBeGreaterThanOrEqual(500);
      expect((err as APIError).error).toMatchObject({
        type: 'error',
        error: { type: expect.stringMatching(/^(api_error|overloaded_error)$/) },
      });
    });

    it('a stream that fails after it started ends with an error event the SDK raises, billed for what was relayed', async () => {
      // Pinned to the endpoint that fails (the router may otherwise pick the healthy one first).
      const pinned = { provider: { only: ['alpha'] } } as object;
      const stream = client.messages.stream({
        model: 'test/stream-error-late',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'hello' }],
        ...pinned,
      });
      const texts: string[] = [];
      stream.on('text', (t) => texts.push(t));
      const err = await stream.finalMessage().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(APIError);
      expect((err as APIError).error).toMatchObject({ type: 'error', error: { type: expect.any(String), message: expect.any(String) } });
      expect(texts.join('')).toBe('Hello from');
      expect((err as APIError).error).toEqual({ type: 'error', error: { type: 'api_error', message: 'Provider returned error' } });
    });
  });

  describe('billed exactly as chat', () => {
    it('the same request over Messages and over chat: the same hold settled, the same cost recorded', async () => {
      const messages = await client.messages.create({
        model: 'test/a-only',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'hello there' }],
      });
      const chat = await f.client.chat.completions.create({
        model: 'test/a-only',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'hello there' }],
      });
      const [mh, ch] = [await settledHold(f, messages.id), await settledHold(f, chat.id)];
      expect(mh).toMatchObject({ status: 'settled', reason: 'completed' });
      expect(mh.actual).toBe(ch.actual);
      expect(mh.actual).toBe(String(3n * 1000n + 5n * 2000n));
      const g = await generation(f, messages.id);
      expect(g).toMatchObject({ cost: mh.actual, streamed: false, model: 'test/a-only' });
      expect((messages.usage as unknown as { cost: number }).cost).toBeCloseTo((3 * 1 + 5 * 2) / 1e6, 12);

      const streamed = client.messages.stream({
        model: 'test/claude',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'hello there' }],
      });
      const final = await streamed.finalMessage();
      const sh = await settledHold(f, final.id);
      expect(sh).toMatchObject({ status: 'settled', reason: 'completed' });
      // Anthropic's fake: 3 prompt tokens at $3 and 3 text chunks at $15 per million.
      expect(sh.actual).toBe(String(3n * 3000n + 3n * 15_000n));
      expect(await generation(f, final.id)).toMatchObject({ cost: sh.actual, streamed: true });
    });

    it('a client that disconnects mid-stream is billed what the provider produced, recorded as cancelled', async () => {
      const stream = client.messages.stream({
        model: 'test/pricey-long',
        max_tokens: 1000,
        messages: [{ role: 'user', content: 'hello there' }],
      });
      let deltas = 0;
      let id = '';
      stream.on('streamEvent', (e) => {
        if (e.type === 'message_start') id = e.message.id;
        if (e.type === 'content_block_delta' && ++deltas === 3) stream.abort();
      });
      await stream.done().catch(() => undefined);
      expect(id).toMatch(/^gen-/);
      const h = await settledHold(f, id);
      expect(h).toMatchObject({ status: 'settled', reason: 'cancelled' });
      expect(BigInt(h.actual)).toBeGreaterThan(0n);
      expect(await generation(f, id)).toMatchObject({ cost: h.actual, streamed: true, cancelled: true });
    });
  });

  it('a stream that fails before it started: a plain HTTP error in the route’s envelope (Anthropic’s for Messages, OpenAI’s for Responses)', async () => {
    // No `: PROCESSING` start while the upstreams are tried, so the failure is answered before the stream starts.
    const g = await startGatewayFixture({ env: { STREAM_PROCESSING_AFTER_MS: '60000' } });
    try {
      const c = new Anthropic({ baseURL: `${g.t.url}/api`, apiKey: g.key, maxRetries: 0, timeout: 60_000 });
      const err = await c.messages
        .create({ model: 'test/all-fail', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'hi' }] })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(APIError);
      expect((err as APIError).status).toBeGreaterThanOrEqual(500);
      expect((err as APIError).error).toMatchObject({
        type: 'error',
        error: { type: expect.stringMatching(/^(api_error|overloaded_error)$/), message: expect.any(String) },
      });
      const res = await fetch(`${g.t.url}/api/v1/responses`, {
        method: 'POST',
        headers: { authorization: `Bearer ${g.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'test/all-fail', input: 'hi', stream: true }),
      });
      expect(res.status).toBeGreaterThanOrEqual(500);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toMatchObject({ error: { code: res.status, message: expect.any(String) } });
      expect(await g.t.get(LedgerService).check()).toEqual([]);
    } finally {
      await g.close();
    }
  }, 90_000);

  it('the per-key rate limit: RateLimitError (429, rate_limit_error) with Retry-After', async () => {
    const limited = await startGatewayFixture({ env: { RATE_LIMIT_KEY_RPM: '1' } });
    try {
      const c = new Anthropic({ baseURL: `${limited.t.url}/api`, apiKey: limited.key, maxRetries: 0 });
      const body = { model: 'test/a-only', max_tokens: 10, messages: [{ role: 'user' as const, content: 'hi' }] };
      await c.messages.create(body);
      const err = await c.messages.create(body).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RateLimitError);
      expect((err as APIError).error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
      expect((err as APIError).headers?.get('retry-after')).toMatch(/^\d+$/);
      expect(await limited.t.get(LedgerService).check()).toEqual([]);
    } finally {
      await limited.close();
    }
  });
});
