import { AnthropicAdapter } from '../../src/providers/anthropic/anthropic.adapter';
import { SseParser } from '../../src/providers/sse-parser';
import type { ChatRequest, ChunkDelta, StreamTranslator } from '../../src/providers/types';
import { FakeUpstream, fakeInputTokens, LONG_CHUNKS, startFakeAnthropic } from '../support/fake-upstreams/anthropic';

/** The fake driven through the real adapter: doubles as an integration test of both. */
describe('fake Anthropic upstream + AnthropicAdapter', () => {
  const adapter = new AnthropicAdapter();
  let fake: FakeUpstream;

  beforeAll(async () => {
    fake = await startFakeAnthropic();
  });
  afterAll(async () => {
    await fake.close();
  });

  function request(model: string, req: Partial<ChatRequest> = {}, stream = false, apiKey: string | null = 'sk-fake') {
    const full: ChatRequest = { max_tokens: 256, messages: [{ role: 'user', content: 'Hello there, fake!' }], ...req };
    const spec = adapter.chatRequest(full, { baseUrl: fake.url, apiKey, model }, stream);
    return { spec, sent: JSON.parse(spec.body) as unknown };
  }

  async function call(
    model: string,
    req: Partial<ChatRequest> = {},
    stream = false,
    apiKey: string | null = 'sk-fake',
    signal?: AbortSignal,
  ) {
    const { spec, sent } = request(model, req, stream, apiKey);
    const res = await fetch(spec.url, { method: spec.method, headers: spec.headers, body: spec.body, signal });
    return { res, sent };
  }

  /** Reads an SSE response through SseParser and the translator, as the gateway would. */
  async function translate(res: Response, onDelta?: (d: ChunkDelta, all: ChunkDelta[]) => void) {
    const t: StreamTranslator = adapter.streamTranslator();
    const parser = new SseParser();
    const deltas: ChunkDelta[] = [];
    const decoder = new TextDecoder();
    let failure: unknown = null;
    const take = (text: string) => {
      for (const e of parser.push(text)) {
        for (const d of t.push(e)) {
          deltas.push(d);
          onDelta?.(d, deltas);
        }
      }
    };
    try {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) take(decoder.decode(chunk, { stream: true }));
      for (const e of parser.end()) deltas.push(...t.push(e));
    } catch (err) {
      failure = err;
    }
    const text = deltas.map((d) => d.delta.content ?? '').join('');
    const finish = deltas.find((d) => d.finishReason !== undefined);
    return { t, deltas, text, finish, failure };
  }

  it('answers the default text, with deterministic usage, and records the request', async () => {
    const before = fake.seen.length;
    const { res, sent } = await call('claude-test');
    expect(res.status).toBe(200);
    const r = adapter.parseChatResponse(await res.json());
    expect(r.message.content).toBe('Hello from fake-anthropic');
    expect(r.finishReason).toBe('stop');
    const input = fakeInputTokens(sent);
    expect(input).toBe(Math.ceil('Hello there, fake!'.length / 4));
    expect(r.usage).toMatchObject({ prompt_tokens: input, completion_tokens: 3, total_tokens: input + 3 });

    const seen = fake.seen[before];
    expect(seen.path).toBe('/v1/messages');
    expect(seen.headers['x-api-key']).toBe('sk-fake');
    expect(seen.headers['anthropic-version']).toBe('2023-06-01');
    expect(seen.body).toEqual(sent);
    expect(seen.aborted).toBe(false);
  });

  it('streams the default text as several deltas', async () => {
    const { res, sent } = await call('claude-test', {}, true);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const { t, deltas, text, finish, failure } = await translate(res);
    expect(failure).toBeNull();
    expect(deltas[0].delta.role).toBe('assistant');
    expect(deltas.filter((d) => d.delta.content).length).toBe(3);
    expect(text).toBe('Hello from fake-anthropic');
    expect(finish).toMatchObject({ finishReason: 'stop', nativeFinishReason: 'end_turn' });
    expect(t.done()).toBe(true);
    expect(t.error()).toBeNull();
    expect(t.usage()).toMatchObject({ prompt_tokens: fakeInputTokens(sent), completion_tokens: 3 });
  });

  it('calls the first tool, streamed as input_json_delta fragments', async () => {
    const tools: ChatRequest['tools'] = [
      { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { location: { type: 'string' } } } } },
      { type: 'function', function: { name: 'other' } },
    ];
    const { res } = await call('claude-test', { tools }, true);
    const { t, deltas, finish } = await translate(res);
    const calls = deltas.flatMap((d) => d.delta.tool_calls ?? []);
    expect(calls[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'get_weather' } });
    expect(calls[0].id).toMatch(/^toolu_/);
    expect(calls.every((c) => c.index === 0)).toBe(true);
    expect(JSON.parse(calls.map((c) => c.function?.arguments ?? '').join(''))).toEqual({ location: 'Paris' });
    expect(finish).toMatchObject({ finishReason: 'tool_calls', nativeFinishReason: 'tool_use' });
    expect(t.usage()?.completion_tokens).toBe(2);

    const plain = await call('claude-test', { tools });
    const r = adapter.parseChatResponse(await plain.res.json());
    expect(r.message.tool_calls?.[0].function).toEqual({ name: 'get_weather', arguments: '{"location":"Paris"}' });
    expect(r.finishReason).toBe('tool_calls');
  });

  it('answers {"ok":true} when the adapter asks for JSON', async () => {
    const { res } = await call('claude-test', { response_format: { type: 'json_object' } }, true);
    const { text } = await translate(res);
    expect(JSON.parse(text)).toEqual({ ok: true });
  });

  it('stops at max_tokens chunks', async () => {
    const { res } = await call('claude-test', { max_tokens: 2 }, true);
    const { text, finish, t } = await translate(res);
    expect(text).toBe('Hello from');
    expect(finish).toMatchObject({ finishReason: 'length', nativeFinishReason: 'max_tokens' });
    expect(t.usage()?.completion_tokens).toBe(2);
  });

  it.each([
    [529, 'overloaded_error'],
    [429, 'rate_limit_error'],
    [500, 'api_error'],
  ])('fail-%d answers that status in Anthropic format', async (status, code) => {
    const { res } = await call(`claude-fail-${status}`, {}, true);
    expect(res.status).toBe(status);
    if (status === 429) expect(res.headers.get('retry-after')).toBe('1');
    expect(adapter.parseError(status, await res.text())).toEqual({ message: `Scripted failure ${status}`, code });
  });

  it('refuses a request without x-api-key', async () => {
    const { res } = await call('claude-test', {}, false, null);
    expect(res.status).toBe(401);
    expect(adapter.parseError(401, await res.text())).toMatchObject({ code: 'authentication_error' });
  });

  it('slow-<ms> delays the headers', async () => {
    const started = Date.now();
    const { res } = await call('claude-slow-300', {}, true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect((await translate(res)).text).toBe('Hello from fake-anthropic');
  });

  it('cut drops the connection mid-stream', async () => {
    const before = fake.seen.length;
    const { res } = await call('claude-cut', {}, true);
    const { t, text, failure, finish } = await translate(res);
    expect(text).toBe('Hello from');
    expect(failure).not.toBeNull();
    expect(finish).toBeUndefined();
    expect(t.done()).toBe(false);
    expect(fake.seen[before].aborted).toBe(false);
  });

  it('stream-error sends an error event', async () => {
    const { res } = await call('claude-stream-error', {}, true);
    const { t, text, failure } = await translate(res);
    expect(failure).toBeNull();
    expect(text).toBe('Hello');
    expect(t.error()).toEqual({ message: 'Overloaded', code: 'overloaded_error' });
    expect(t.done()).toBe(false);
  });

  it('long records a client that went away', async () => {
    const before = fake.seen.length;
    const ac = new AbortController();
    const { res } = await call('claude-long', {}, true, 'sk-fake', ac.signal);
    const { deltas, failure } = await translate(res, (_d, all) => {
      if (all.length >= 5) ac.abort();
    });
    expect(failure).not.toBeNull();
    expect(deltas.length).toBeLessThan(LONG_CHUNKS);
    const until = Date.now() + 2000;
    while (!fake.seen[before].aborted && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(fake.seen[before].aborted).toBe(true);
  });
});
