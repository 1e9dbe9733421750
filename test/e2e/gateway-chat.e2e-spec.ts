import OpenAI from 'openai';
import { CreditsService } from '../../src/credits/credits.service';
import { call, createKey, signUp } from '../support/factories';
import { fakeLogprob } from '../support/fake-upstreams/openai';
import { GatewayFixture, startGatewayFixture } from '../support/gateway-fixture';

const tool: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather in a city',
    parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
  },
};

describe('OpenAI-compatible chat through every adapter, with the official openai client', () => {
  let f: GatewayFixture;
  beforeAll(async () => {
    f = await startGatewayFixture();
  });
  afterAll(() => f.close());

  describe.each([
    ['OpenAI-compatible', 'test/a-only', 'Alpha', 'Hello from fake-openai.'],
    ['Anthropic', 'test/claude', 'Claude Co', 'Hello from fake-anthropic'],
    ['Gemini', 'test/gemini', 'Gem Co', 'Hello from fake-gemini'],
  ])('%s', (_name, model, provider, text) => {
    it('answers a plain request with usage and cost', async () => {
      const { data, response } = await f.client.chat.completions
        .create({ model, messages: [{ role: 'user', content: 'Say hello' }] })
        .withResponse();
      expect(data.id).toMatch(/^gen-/);
      expect(response.headers.get('x-generation-id')).toBe(data.id);
      expect(Number(response.headers.get('x-switchyard-overhead-ms'))).toBeGreaterThanOrEqual(0);
      expect(data.model).toBe(model);
      expect((data as unknown as { provider: string }).provider).toBe(provider);
      expect(data.choices[0].message.content).toBe(text);
      expect(data.choices[0].finish_reason).toBe('stop');
      expect(data.usage!.prompt_tokens).toBeGreaterThan(0);
      expect(data.usage!.completion_tokens).toBeGreaterThan(0);
      expect((data.usage as unknown as { cost: number }).cost).toBeGreaterThan(0);
    });

    it('streams, with a final usage chunk before [DONE]', async () => {
      const stream = await f.client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Say hello' }], stream: true });
      let content = '';
      let finish: string | null = null;
      let usage: (OpenAI.CompletionUsage & { cost?: number }) | undefined;
      const ids = new Set<string>();
      for await (const chunk of stream) {
        ids.add(chunk.id);
        content += chunk.choices[0]?.delta?.content ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
        if (chunk.usage) {
          expect(chunk.choices).toEqual([]);
          usage = chunk.usage;
        }
      }
      expect(content).toBe(text);
      expect(finish).toBe('stop');
      expect(ids.size).toBe(1);
      expect([...ids][0]).toMatch(/^gen-/);
      expect(usage!.completion_tokens).toBeGreaterThan(0);
      expect(usage!.cost).toBeGreaterThan(0);
    });

    it('calls tools, streaming and not', async () => {
      const plain = await f.client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
        tools: [tool],
      });
      const call = plain.choices[0].message.tool_calls![0] as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall;
      expect(plain.choices[0].finish_reason).toBe('tool_calls');
      expect(call.function.name).toBe('get_weather');
      expect(JSON.parse(call.function.arguments)).toEqual({ location: 'Paris' });

      const stream = await f.client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
        tools: [tool],
        stream: true,
      });
      let args = '';
      let name = '';
      let finish: string | null = null;
      for await (const chunk of stream) {
        for (const tc of chunk.choices[0]?.delta?.tool_calls ?? []) {
          name += tc.function?.name ?? '';
          args += tc.function?.arguments ?? '';
        }
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      expect(name).toBe('get_weather');
      expect(JSON.parse(args)).toEqual({ location: 'Paris' });
      expect(finish).toBe('tool_calls');

      // The result goes back as a tool message.
      const followUp = await f.client.chat.completions.create({
        model,
        messages: [
          { role: 'user', content: 'Weather in Paris?' },
          { role: 'assistant', content: null, tool_calls: [call] },
          { role: 'tool', tool_call_id: call.id, content: '{"temperature": 21}' },
        ],
      });
      expect(followUp.choices[0].message.content).toBe(text);
    });

    it('answers JSON mode with JSON', async () => {
      const res = await f.client.chat.completions.create({
        model,
        messages: [
          { role: 'system', content: 'Answer in JSON.' },
          { role: 'user', content: 'Are you ok?' },
        ],
        response_format: { type: 'json_object' },
      });
      expect(JSON.parse(res.choices[0].message.content!)).toEqual({ ok: true });
    });
  });

  describe('documented request fields', () => {
    const chat = (body: Record<string, unknown>) =>
      call<{ error?: { message: string } }>(f.t, 'POST', '/api/v1/chat/completions', {
        key: f.key,
        body: { messages: [{ role: 'user', content: 'Say hello' }], ...body },
      });
    const lastBody = (fake: { seen: { path: string; body: Record<string, unknown> }[] }) =>
      fake.seen.filter((s) => s.path.endsWith('/chat/completions') || s.path.endsWith('/messages')).pop()!.body;
    const extras = {
      prediction: { type: 'content', content: 'Hello' },
      modalities: ['text', 'audio'],
      audio: { voice: 'alloy', format: 'wav' },
      verbosity: 'low',
      web_search_options: { search_context_size: 'low' },
      prompt_cache_key: 'conversation-7',
    };

    it('reach an OpenAI-compatible upstream as sent; OpenRouter-only ones do not', async () => {
      const res = await chat({
        model: 'test/a-only',
        ...extras,
        metadata: { team: 'blue' },
        include_reasoning: true,
        cache_control: { type: 'ephemeral' },
      });
      expect(res.status).toBe(200);
      const sent = lastBody(f.fakes.a);
      expect(sent).toMatchObject(extras);
      expect(sent).not.toHaveProperty('metadata');
      expect(sent).not.toHaveProperty('include_reasoning');
      expect(sent).not.toHaveProperty('cache_control');
    });

    it('reasoning_effort turns on Anthropic thinking; reasoning.effort wins over it everywhere', async () => {
      expect((await chat({ model: 'test/claude', max_tokens: 4000, reasoning_effort: 'high' })).status).toBe(200);
      expect(lastBody(f.fakes.anthropic).thinking).toEqual({ type: 'enabled', budget_tokens: 3200 });

      expect((await chat({ model: 'test/claude', max_tokens: 4000, reasoning: { effort: 'low' }, reasoning_effort: 'high' })).status).toBe(
        200,
      );
      expect(lastBody(f.fakes.anthropic).thinking).toEqual({ type: 'enabled', budget_tokens: 1024 });
      expect((await chat({ model: 'test/a-only', reasoning: { effort: 'low' }, reasoning_effort: 'high' })).status).toBe(200);
      expect(lastBody(f.fakes.a).reasoning_effort).toBe('low');
    });

    it('include_reasoning: false keeps Gemini thoughts out of the answer, streaming and not', async () => {
      const thinking = () =>
        (f.fakes.gemini.seen[f.fakes.gemini.seen.length - 1].body as { generationConfig: { thinkingConfig?: unknown } }).generationConfig
          .thinkingConfig;
      const body = { model: 'test/gemini', max_tokens: 4000, reasoning_effort: 'low', include_reasoning: false };
      const res = await call<{ choices: { message: { content: string; reasoning: string | null } }[] }>(
        f.t,
        'POST',
        '/api/v1/chat/completions',
        {
          key: f.key,
          body: { messages: [{ role: 'user', content: 'Say hello' }], ...body },
        },
      );
      expect(res.status).toBe(200);
      expect(thinking()).toEqual({ thinkingBudget: 1024, includeThoughts: false });
      expect(res.body.choices[0].message).toMatchObject({ content: 'Hello from fake-gemini', reasoning: null });

      const stream = await f.client.chat.completions.create({
        ...(body as object),
        model: 'test/gemini',
        messages: [{ role: 'user', content: 'Say hello' }],
        stream: true,
      });
      let reasoning = '';
      for await (const chunk of stream) reasoning += (chunk.choices[0]?.delta as { reasoning?: string } | undefined)?.reasoning ?? '';
      expect(thinking()).toEqual({ thinkingBudget: 1024, includeThoughts: false });
      expect(reasoning).toBe('');
    });

    it('service_tier fast reaches the upstream as priority, other tiers as sent', async () => {
      expect((await chat({ model: 'test/a-only', service_tier: 'fast' })).status).toBe(200);
      expect(lastBody(f.fakes.a).service_tier).toBe('priority');
      expect((await chat({ model: 'test/a-only', service_tier: 'flex' })).status).toBe(200);
      expect(lastBody(f.fakes.a).service_tier).toBe('flex');
      expect((await chat({ model: 'test/a-only', service_tier: 'turbo' })).status).toBe(400);
    });

    it('the service_tier the upstream reports comes back in the answer and in every stream chunk', async () => {
      const messages = [{ role: 'user' as const, content: 'Say hello' }];
      const tierOf = (x: unknown) => (x as { service_tier?: string }).service_tier;
      expect(tierOf(await f.client.chat.completions.create({ model: 'test/a-only', messages, service_tier: 'flex' }))).toBe('flex');
      expect(tierOf(await f.client.chat.completions.create({ model: 'test/a-only', messages, service_tier: 'auto' }))).toBe('default');
      expect(await f.client.chat.completions.create({ model: 'test/a-only', messages })).not.toHaveProperty('service_tier');

      const stream = await f.client.chat.completions.create({
        model: 'test/a-only',
        messages,
        service_tier: 'fast' as 'priority',
        stream: true,
      });
      const tiers: (string | undefined)[] = [];
      for await (const chunk of stream) tiers.push(tierOf(chunk));
      expect(tiers.length).toBeGreaterThan(2); // content chunks and the usage chunk
      expect(new Set(tiers)).toEqual(new Set(['priority']));
    });

    it('sampling parameters an endpoint does not list are dropped for it, per attempt; listed ones reach it', async () => {
      const samplers = { temperature: 0.5, top_k: 5, min_p: 0.1, top_a: 0.2, repetition_penalty: 1.1, frequency_penalty: 0.3 };
      const before = { a: f.fakes.a.seen.length, b: f.fakes.b.seen.length };
      const res = await chat({ model: 'test/samplers', provider: { order: ['alpha', 'beta'] }, ...samplers, tools: [tool] });
      expect(res.status).toBe(200); // alpha fails (500), beta serves
      const [toAlpha] = f.fakes.a.seen.slice(before.a).map((s) => s.body as Record<string, unknown>);
      const [toBeta] = f.fakes.b.seen.slice(before.b).map((s) => s.body as Record<string, unknown>);
      // alpha lists temperature, top_k, min_p (and tools); beta lists temperature but none of the others.
      expect(toAlpha).toMatchObject({ temperature: 0.5, top_k: 5, min_p: 0.1, tools: [tool] });
      for (const p of ['top_a', 'repetition_penalty', 'frequency_penalty']) expect(toAlpha).not.toHaveProperty(p);
      expect(toBeta).toMatchObject({ temperature: 0.5, tools: [tool] });
      for (const p of ['top_k', 'min_p', 'top_a', 'repetition_penalty', 'frequency_penalty']) expect(toBeta).not.toHaveProperty(p);

      // The catalog says nothing of the endpoint's parameters: everything is forwarded.
      expect((await chat({ model: 'test/unlisted-params', ...samplers })).status).toBe(200);
      expect(lastBody(f.fakes.a)).toMatchObject(samplers);

      // provider.require_parameters still filters endpoints instead.
      const required = await chat({ model: 'test/samplers', provider: { require_parameters: true }, top_a: 0.2 });
      expect(required.status).toBe(404);
      expect(required.body.error!.message).toContain('top_a');
    });

    it('reasoning controls reach only endpoints that list reasoning (or list nothing); exclude still applies', async () => {
      type Answer = { choices: { message: { content: string; reasoning: string | null } }[] };
      const ask = (body: Record<string, unknown>) =>
        call<Answer>(f.t, 'POST', '/api/v1/chat/completions', {
          key: f.key,
          body: {
            model: 'test/samplers',
            provider: { order: ['alpha', 'beta'] },
            messages: [{ role: 'user', content: 'Say hello' }],
            ...body,
          },
        });
      const sentBy = async (body: Record<string, unknown>) => {
        const before = { a: f.fakes.a.seen.length, b: f.fakes.b.seen.length };
        const res = await ask(body);
        expect(res.status).toBe(200); // alpha fails (500), beta serves
        const [toAlpha] = f.fakes.a.seen.slice(before.a).map((s) => s.body as Record<string, unknown>);
        const [toBeta] = f.fakes.b.seen.slice(before.b).map((s) => s.body as Record<string, unknown>);
        return { res, toAlpha, toBeta };
      };
      // alpha lists no reasoning control (a non-reasoning model, which would refuse reasoning_effort); beta lists reasoning.
      const shown = await sentBy({ reasoning: { effort: 'low' }, reasoning_effort: 'high', include_reasoning: true });
      for (const p of ['reasoning', 'reasoning_effort', 'include_reasoning']) expect(shown.toAlpha).not.toHaveProperty(p);
      expect(shown.toBeta.reasoning_effort).toBe('low');
      expect(shown.res.body.choices[0].message.reasoning).toBe('Thinking it over.');

      // exclude is read from the request as the client sent it, whatever an endpoint was sent.
      const hidden = await sentBy({ reasoning: { effort: 'low', exclude: true } });
      expect(hidden.toAlpha).not.toHaveProperty('reasoning_effort');
      expect(hidden.toBeta.reasoning_effort).toBe('low');
      expect(hidden.res.body.choices[0].message).toMatchObject({ content: 'Hello from fake-openai.', reasoning: null });

      // The catalog says nothing of the endpoint's parameters: reasoning is forwarded.
      expect((await chat({ model: 'test/unlisted-params', reasoning_effort: 'medium' })).status).toBe(200);
      expect(lastBody(f.fakes.a).reasoning_effort).toBe('medium');
    });

    it('top-level cache_control turns on Anthropic automatic caching', async () => {
      const res = await chat({ model: 'test/claude', cache_control: { type: 'ephemeral', ttl: '1h' }, metadata: { team: 'blue' } });
      expect(res.status).toBe(200);
      const sent = lastBody(f.fakes.anthropic);
      expect(sent.cache_control).toEqual({ type: 'ephemeral', ttl: '1h' });
      // Anthropic's metadata takes only user_id.
      expect(sent).not.toHaveProperty('metadata');
    });

    it('count for provider.require_parameters', async () => {
      const res = await chat({ model: 'test/a-only', verbosity: 'low', provider: { require_parameters: true } });
      expect(res.status).toBe(404);
      expect(res.body.error!.message).toContain('verbosity');
      expect((await chat({ model: 'test/a-only', verbosity: 'low' })).status).toBe(200);
    });

    it.each([
      ['metadata', Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']))],
      ['metadata', { k: 1 }],
      ['cache_control', { type: 'persistent' }],
      ['prediction', 'Hello'],
      ['modalities', 'text'],
      ['include_reasoning', 'yes'],
    ])('refuses a malformed %s', async (field, value) => {
      const res = await chat({ model: 'test/a-only', [field]: value });
      expect(res.status).toBe(400);
      expect(res.body.error!.message).toContain(field);
    });
  });

  describe('null for an optional field', () => {
    const payer = async (nanos: bigint) => {
      const user = await signUp(f.t, 'nulls');
      await f.t.get(CreditsService).grant(user.id, nanos, 'test credit');
      return (await createKey(f.t, { cookie: user.cookie })).key;
    };
    const ask = (key: string, body: Record<string, unknown>) =>
      call<{ error?: { message: string } }>(f.t, 'POST', '/api/v1/chat/completions', {
        key,
        body: { messages: [{ role: 'user', content: 'hi' }], ...body },
      });

    it('max_tokens: null is clamped to what the balance affords, as when it is omitted', async () => {
      const key = await payer(5_000_000n); // $0.005
      const before = f.fakes.a.seen.length;
      const res = await ask(key, { model: 'test/pricey-slow', max_tokens: null });
      expect(res.status).toBe(200);
      expect(f.fakes.a.seen[before].body.max_tokens).toBe(250); // $0.005 / $20 per million
    });

    it('max_tokens: null is refused in the same words as an omitted one', async () => {
      const key = await payer(10n); // less than one output token
      const omitted = await ask(key, { model: 'test/pricey-slow' });
      const nulled = await ask(key, { model: 'test/pricey-slow', max_tokens: null, max_completion_tokens: null });
      expect(omitted.status).toBe(402);
      expect(nulled.status).toBe(402);
      expect(nulled.body.error!.message).toBe(omitted.body.error!.message);
      expect(nulled.body.error!.message).not.toContain('null');
    });

    it.each([
      ['test/a-only', 'a'],
      ['test/claude', 'anthropic'],
      ['test/gemini', 'gemini'],
    ] as const)('temperature and other samplers set to null are not sent upstream (%s)', async (model, fake) => {
      const seen = f.fakes[fake].seen;
      const before = seen.length;
      const res = await ask(f.key, { model, temperature: null, top_p: null, seed: null, stop: null, tools: null, user: null });
      expect(res.status).toBe(200);
      const sent = JSON.stringify(seen[before].body);
      expect(sent).not.toContain('null');
      expect(sent).not.toContain('temperature'); // not even as 0
    });
  });

  it('returns the upstream logprobs, streaming and not, and null when none were asked for', async () => {
    const messages = [{ role: 'user' as const, content: 'Say hello' }];
    const expected = { content: ['Hello', ' from', ' fake', '-openai', '.'].map((w) => fakeLogprob(w)) };
    const plain = await f.client.chat.completions.create({ model: 'test/a-only', messages, logprobs: true });
    expect(plain.choices[0].logprobs).toEqual(expected);
    const without = await f.client.chat.completions.create({ model: 'test/a-only', messages });
    expect(without.choices[0].logprobs).toBeNull();

    const stream = await f.client.chat.completions.create({ model: 'test/a-only', messages, logprobs: true, stream: true });
    const streamed: unknown[] = [];
    for await (const chunk of stream) streamed.push(...(chunk.choices[0]?.logprobs?.content ?? []));
    expect(streamed).toEqual(expected.content);
  });

  describe('reasoning the client asked to exclude', () => {
    type Message = { content: string | null; reasoning: string | null };
    type Chunk = {
      provider: string;
      error?: unknown;
      usage?: Record<string, unknown>;
      choices: { delta: Record<string, unknown>; finish_reason: string | null }[];
    };
    const messages = [{ role: 'user', content: 'Say hello' }];
    const complete = (body: Record<string, unknown>) =>
      call<{ provider: string; choices: { message: Message }[]; usage: Record<string, unknown> }>(f.t, 'POST', '/api/v1/chat/completions', {
        key: f.key,
        body: { messages, max_tokens: 4000, ...body },
      });
    const stream = async (body: Record<string, unknown>) => {
      const res = await fetch(`${f.t.url}/api/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${f.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ messages, max_tokens: 4000, stream: true, ...body }),
      });
      const data = (await res.text())
        .split('\n\n')
        .filter((e) => e.startsWith('data: '))
        .map((e) => e.slice(6));
      const chunks = data.filter((d) => d !== '[DONE]').map((d) => JSON.parse(d) as Chunk);
      const joined = (field: string) => chunks.map((c) => (c.choices[0]?.delta[field] as string | undefined) ?? '').join('');
      return { res, chunks, content: joined('content'), reasoning: joined('reasoning'), usage: chunks.find((c) => c.usage)?.usage };
    };
    const withoutCost = (usage: Record<string, unknown> | undefined) => ({ ...usage, cost: undefined });

    describe.each([
      ['OpenAI-compatible', 'test/a-only', 'Thinking it over.', 'Hello from fake-openai.'],
      ['Anthropic', 'test/claude', 'Let me think it over.', 'Hello from fake-anthropic'],
    ])('%s', (_name, model, thought, text) => {
      it.each([
        ['reasoning.exclude', { reasoning: { effort: 'low', exclude: true } }],
        ['include_reasoning: false', { reasoning_effort: 'low', include_reasoning: false }],
      ])('%s leaves the reasoning out of the answer, with the same usage', async (_how, hidden) => {
        const shown = await complete({ model, reasoning: { effort: 'low' } });
        expect(shown.status).toBe(200);
        expect(shown.body.choices[0].message).toMatchObject({ content: text, reasoning: thought });
        const res = await complete({ model, ...hidden });
        expect(res.status).toBe(200);
        expect(res.body.choices[0].message).toMatchObject({ content: text, reasoning: null });
        expect(JSON.stringify(res.body)).not.toContain(thought);
        expect(res.body.usage).toEqual(shown.body.usage);
      });

      it.each([
        ['reasoning.exclude', { reasoning: { effort: 'low', exclude: true } }],
        ['include_reasoning: false', { reasoning_effort: 'low', include_reasoning: false }],
      ])('%s leaves the reasoning out of a stream and sends no empty chunk, with the same usage', async (_how, hidden) => {
        const shown = await stream({ model, reasoning: { effort: 'low' } });
        expect(shown.reasoning).toBe(thought);
        expect(shown.content).toBe(text);
        const res = await stream({ model, ...hidden });
        expect(res.res.status).toBe(200);
        expect(res.content).toBe(text);
        expect(res.chunks.some((c) => c.choices[0] && 'reasoning' in c.choices[0].delta)).toBe(false);
        // Every chunk says something: a role, content, a finish reason or the usage.
        for (const c of res.chunks)
          expect(c.usage !== undefined || c.choices[0].finish_reason !== null || Object.keys(c.choices[0].delta).length > 0).toBe(true);
        expect(res.chunks.filter((c) => c.choices[0]?.finish_reason === 'stop')).toHaveLength(1);
        expect(res.chunks[0].choices[0].delta.role).toBe('assistant');
        expect(withoutCost(res.usage)).toEqual(withoutCost(shown.usage));
        expect(res.usage!.cost).toBe(shown.usage!.cost);
      });
    });

    it('excluded reasoning still counts toward the usage estimated for a stream the provider gave none for', async () => {
      const shown = await stream({ model: 'test/no-usage', reasoning: { effort: 'low' } });
      const hidden = await stream({ model: 'test/no-usage', reasoning: { effort: 'low', exclude: true } });
      const plain = await stream({ model: 'test/no-usage' });
      expect(hidden.reasoning).toBe('');
      expect(hidden.usage!.completion_tokens).toBe(shown.usage!.completion_tokens);
      expect(hidden.usage!.completion_tokens).toBeGreaterThan(plain.usage!.completion_tokens as number);
    });

    it('excluded reasoning is not a first output: an error after it still falls back to the next provider', async () => {
      const body = {
        model: 'test/stream-error-first',
        provider: { order: ['alpha', 'beta'] },
        reasoning: { effort: 'low', exclude: true },
      };
      const hidden = await stream(body);
      expect(hidden.res.status).toBe(200);
      expect(hidden.chunks.some((c) => c.error || c.choices[0]?.finish_reason === 'error')).toBe(false);
      expect(hidden.chunks.every((c) => c.provider === 'Beta')).toBe(true);
      expect(hidden.content).toBe('Hello from fake-openai.');
      expect(hidden.reasoning).toBe('');

      // Shown, the same reasoning is output the client has: the stream is committed and ends in an error.
      const shown = await stream({ ...body, reasoning: { effort: 'low' } });
      expect(shown.res.status).toBe(200);
      expect(shown.reasoning).toBe('Thinking it over.');
      expect(shown.chunks[shown.chunks.length - 1].choices[0].finish_reason).toBe('error');
      expect(shown.chunks.every((c) => c.provider === 'Alpha')).toBe(true);
    });
  });

  describe('the request user', () => {
    const raw = 'alice@example.com';
    it.each([
      ['test/a-only', 'a', (b: Record<string, any>) => b.user], // eslint-disable-line @typescript-eslint/no-explicit-any
      ['test/claude', 'anthropic', (b: Record<string, any>) => b.metadata?.user_id], // eslint-disable-line @typescript-eslint/no-explicit-any
    ] as const)('reaches %s as a stable hash, never as sent', async (model, fake, userOf) => {
      const seen = f.fakes[fake].seen;
      const before = seen.length;
      for (let i = 0; i < 2; i++) await f.client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], user: raw });
      const [first, second] = seen.slice(before).map((s) => s.body);
      expect(userOf(first)).toMatch(/^[0-9a-f]{64}$/);
      expect(userOf(second)).toBe(userOf(first));
      expect(JSON.stringify([first, second])).not.toContain('alice');
    });

    it('reaches an embeddings upstream as the same hash', async () => {
      const before = f.fakes.a.seen.length;
      await f.client.chat.completions.create({ model: 'test/a-only', messages: [{ role: 'user', content: 'hi' }], user: raw });
      await f.client.embeddings.create({ model: 'test/embed', input: 'hello', user: raw });
      const [chat, embed] = f.fakes.a.seen.slice(before).map((s) => s.body);
      expect(embed.user).toBe(chat.user);
      expect(embed.user).not.toBe(raw);
    });
  });

  it('puts availability details next to metadata, as OpenRouter does', async () => {
    for (const stream of [false, true]) {
      const res = await call<{ error: { metadata: Record<string, unknown>; availability?: Record<string, unknown> } }>(
        f.t,
        'POST',
        '/api/v1/chat/completions',
        {
          key: f.key,
          body: { model: 'test/no-such-model', stream, messages: [{ role: 'user', content: 'hi' }] },
        },
      );
      expect(res.status).toBe(400);
      expect(res.body.error.availability).toMatchObject({
        code: 'model_not_found',
        retryable: false,
        requested_models: ['test/no-such-model'],
      });
      expect(res.body.error.metadata).toEqual({ error_type: 'invalid_request' });
    }
  });

  it('embeddings.create works (OpenAI-compatible and Gemini)', async () => {
    for (const model of ['test/embed', 'test/gemini-embed']) {
      const res = await f.client.embeddings.create({ model, input: ['hello world', 'second'] });
      expect(res.data).toHaveLength(2);
      expect(res.data[0].embedding.length).toBeGreaterThan(0);
      expect(res.usage.prompt_tokens).toBeGreaterThan(0);
    }
  });

  it('sends the role chunk first, together with the first content, and each later chunk as the provider sends it', async () => {
    const res = await fetch(`${f.t.url}/api/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${f.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'test/gappy', stream: true, messages: [{ role: 'user', content: 'Say hello' }] }),
    });
    expect(res.status).toBe(200);
    const arrivals: { at: number; data: string }[] = [];
    const decoder = new TextDecoder();
    let buffered = '';
    for await (const part of res.body!) {
      buffered += decoder.decode(part, { stream: true });
      const events = buffered.split('\n\n');
      buffered = events.pop()!;
      for (const e of events) if (e.startsWith('data: ')) arrivals.push({ at: performance.now(), data: e.slice(6) });
    }
    const chunks = arrivals
      .filter((a) => a.data !== '[DONE]')
      .map((a) => ({ at: a.at, chunk: JSON.parse(a.data) as OpenAI.ChatCompletionChunk }));
    expect(chunks[0].chunk.choices[0].delta).toEqual({ role: 'assistant' });
    const words = chunks.filter((c) => c.chunk.choices[0]?.delta.content);
    expect(words.map((c) => c.chunk.choices[0].delta.content).join('')).toBe('Hello from fake-openai.');
    // The fake sends a word every 150 ms: none waits for the next one.
    for (let i = 1; i < words.length; i++) expect(words[i].at - words[i - 1].at).toBeGreaterThan(75);
    // The role chunk is held until there is output to send with it.
    expect(words[0].at - chunks[0].at).toBeLessThan(75);
  });

  it('streams are counted in /metrics like any request', async () => {
    const metrics = async () => {
      const text = await (await fetch(`${f.t.url}/metrics`)).text();
      const line = text
        .split('\n')
        .find(
          (l) =>
            l.startsWith('switchyard_http_requests_total{') && l.includes('route="/api/v1/chat/completions"') && l.includes('status="200"'),
        );
      return line ? Number(line.split(' ').pop()) : 0;
    };
    const before = await metrics();
    const stream = await f.client.chat.completions.create({
      model: 'test/a-only',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    for await (const _ of stream) void _;
    const until = Date.now() + 2000;
    while ((await metrics()) === before && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect((await metrics()) - before).toBe(1);
  });

  it('models.list works', async () => {
    const ids: string[] = [];
    for await (const m of f.client.models.list()) ids.push(m.id);
    expect(ids).toEqual(expect.arrayContaining(['test/chat', 'test/claude', 'test/gemini', 'test/embed']));
  });

  it('legacy completions answer as text completions', async () => {
    const res = await f.client.completions.create({ model: 'test/a-only', prompt: 'Say hello', max_tokens: 20 });
    expect(res.object).toBe('text_completion');
    expect(res.choices[0].text).toBe('Hello from fake-openai.');
    const stream = await f.client.completions.create({ model: 'test/a-only', prompt: 'Say hello', max_tokens: 20, stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.text ?? '';
    expect(text).toBe('Hello from fake-openai.');
  });

  it('legacy completions take the integer logprobs and answer with log probabilities in the legacy shape, streaming and not', async () => {
    const words = ['Hello', ' from', ' fake', '-openai', '.'];
    const expected = {
      tokens: words,
      token_logprobs: words.map(() => -0.25),
      top_logprobs: words.map((w) => ({ [w]: -0.25, [`${w}~1`]: -2 })),
    };
    const before = f.fakes.a.seen.length;
    const res = await f.client.completions.create({ model: 'test/a-only', prompt: 'Say hello', max_tokens: 20, logprobs: 2 });
    // Chat's form upstream: the chosen tokens' log probabilities, and 2 alternatives at each position.
    expect(f.fakes.a.seen[before].body).toMatchObject({ logprobs: true, top_logprobs: 2 });
    expect(res.choices[0].logprobs).toEqual(expected);
    expect(
      (await f.client.completions.create({ model: 'test/a-only', prompt: 'Say hello', max_tokens: 20 })).choices[0].logprobs,
    ).toBeNull();

    const stream = await f.client.completions.create({
      model: 'test/a-only',
      prompt: 'Say hello',
      max_tokens: 20,
      logprobs: 2,
      stream: true,
    });
    const streamed = { tokens: [] as string[], token_logprobs: [] as number[], top_logprobs: [] as Record<string, number>[] };
    for await (const c of stream) {
      const lp = c.choices[0]?.logprobs;
      if (!lp) continue;
      streamed.tokens.push(...lp.tokens!);
      streamed.token_logprobs.push(...lp.token_logprobs!);
      streamed.top_logprobs.push(...lp.top_logprobs!);
    }
    expect(streamed).toEqual(expected);

    for (const logprobs of [6, -1, 1.5, true]) {
      const refused = await call<{ error: { message: string } }>(f.t, 'POST', '/api/v1/completions', {
        key: f.key,
        body: { model: 'test/a-only', prompt: 'Say hello', logprobs },
      });
      expect(refused.status).toBe(400);
      expect(refused.body.error.message).toContain('logprobs');
    }
  });
});

describe('Server-Timing (SERVER_TIMING=true)', () => {
  let f: GatewayFixture;
  beforeAll(async () => {
    f = await startGatewayFixture({ env: { SERVER_TIMING: 'true' } });
  });
  afterAll(() => f.close());

  const phase = (header: string | null, name: string) => {
    const m = new RegExp(`(?:^|, )${name};dur=(\\d+\\.\\d{2})(?:,|$)`).exec(header ?? '');
    return m ? Number(m[1]) : null;
  };

  it('tells where a request spent its time, in order, within the total', async () => {
    const started = performance.now();
    const { response } = await f.client.chat.completions
      .create({ model: 'test/a-only', messages: [{ role: 'user', content: 'Say hello' }] })
      .withResponse();
    const total = performance.now() - started;
    const header = response.headers.get('server-timing');
    expect(header).toMatch(/^pre;dur=[\d.]+, route;dur=[\d.]+, hold;dur=[\d.]+, upstream;dur=[\d.]+, response;dur=[\d.]+$/);
    const phases = ['pre', 'route', 'hold', 'upstream', 'response'].map((p) => phase(header, p)!);
    expect(phases.every((d) => d >= 0)).toBe(true);
    expect(phases.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(total);
    // The hold is a database round trip: never free.
    expect(phase(header, 'hold')).toBeGreaterThan(0);
  });

  it('sends the phases up to the provider reply with a stream', async () => {
    const res = await fetch(`${f.t.url}/api/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${f.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'test/a-only', stream: true, messages: [{ role: 'user', content: 'Say hello' }] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('server-timing')).toMatch(/^pre;dur=[\d.]+, route;dur=[\d.]+, hold;dur=[\d.]+, upstream;dur=[\d.]+$/);
    expect(await res.text()).toContain('[DONE]');
  });

  it('answers embeddings with the same phases', async () => {
    const { response } = await f.client.embeddings.create({ model: 'test/embed', input: 'hello' }).withResponse();
    expect(response.headers.get('server-timing')).toMatch(
      /^pre;dur=[\d.]+, route;dur=[\d.]+, hold;dur=[\d.]+, upstream;dur=[\d.]+, response;dur=[\d.]+$/,
    );
  });

  it('is absent by default', async () => {
    const plain = await startGatewayFixture();
    try {
      const { response } = await plain.client.chat.completions
        .create({ model: 'test/a-only', messages: [{ role: 'user', content: 'Say hello' }] })
        .withResponse();
      expect(response.headers.get('server-timing')).toBeNull();
    } finally {
      await plain.close();
    }
  });
});
