import { GeminiAdapter } from '../../src/providers/gemini/gemini.adapter';
import { SseParser } from '../../src/providers/sse-parser';
import type { ChatRequest, ChunkDelta, HttpRequestSpec, StreamTranslator, UpstreamTarget } from '../../src/providers/types';
import { FakeUpstream, startFakeGemini } from '../support/fake-upstreams/gemini';

/** The adapter against the fake Gemini server over real HTTP: request bodies, responses and SSE streams. */
describe('fake Gemini upstream through GeminiAdapter', () => {
  const adapter = new GeminiAdapter();
  let fake: FakeUpstream;
  const target = (model: string, apiKey: string | null = 'test-key'): UpstreamTarget => ({ baseUrl: fake.url, apiKey, model });
  const chat = (over: Partial<ChatRequest> = {}): ChatRequest => ({
    messages: [
      { role: 'system', content: 'Be nice.' },
      { role: 'user', content: 'Say hello, please.' },
    ],
    max_tokens: 100,
    ...over,
  });
  // "Be nice." (8) + "Say hello, please." (18) = 26 characters → ceil(26 / 4) = 7 prompt tokens.
  const PROMPT_TOKENS = 7;
  const send = (spec: HttpRequestSpec, signal?: AbortSignal) =>
    fetch(spec.url, { method: spec.method, headers: spec.headers, body: spec.body, signal });

  /** Reads a whole SSE response through the parser and a translator, as the gateway does. */
  async function drain(res: Response, t: StreamTranslator): Promise<{ deltas: ChunkDelta[]; failed: boolean }> {
    const parser = new SseParser();
    const deltas: ChunkDelta[] = [];
    const decoder = new TextDecoder();
    let failed = false;
    try {
      for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
        for (const e of parser.push(decoder.decode(bytes, { stream: true }))) deltas.push(...t.push(e));
      }
      for (const e of parser.end()) deltas.push(...t.push(e));
    } catch {
      failed = true;
    }
    return { deltas, failed };
  }
  const contentOf = (deltas: ChunkDelta[]) => deltas.map((d) => d.delta.content ?? '').join('');

  beforeAll(async () => {
    fake = await startFakeGemini();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.seen.length = 0;
  });

  it('answers generateContent with text and deterministic usage; the key travels in the header only', async () => {
    const res = await send(adapter.chatRequest(chat(), target('gemini-2.0-flash'), false));
    expect(res.status).toBe(200);
    const r = adapter.parseChatResponse(await res.json());
    expect(r.message).toEqual({ role: 'assistant', content: 'Hello from fake-gemini' });
    expect(r.finishReason).toBe('stop');
    expect(r.usage).toEqual({ prompt_tokens: PROMPT_TOKENS, completion_tokens: 3, total_tokens: PROMPT_TOKENS + 3 });
    const seen = fake.seen[0];
    expect(seen.path).toBe('/v1beta/models/gemini-2.0-flash:generateContent');
    expect(seen.headers['x-goog-api-key']).toBe('test-key');
    expect(seen.body.systemInstruction).toEqual({ parts: [{ text: 'Be nice.' }] });
    expect(seen.body.contents).toEqual([{ role: 'user', parts: [{ text: 'Say hello, please.' }] }]);
  });

  it('streams text in several chunks with usage on the last', async () => {
    const res = await send(adapter.chatRequest(chat(), target('gemini-2.0-flash'), true));
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const t = adapter.streamTranslator();
    const { deltas, failed } = await drain(res, t);
    expect(failed).toBe(false);
    expect(deltas.filter((d) => d.delta.content)).toHaveLength(3);
    expect(deltas[0].delta.role).toBe('assistant');
    expect(contentOf(deltas)).toBe('Hello from fake-gemini');
    expect(deltas[deltas.length - 1]).toMatchObject({ finishReason: 'stop', nativeFinishReason: 'STOP' });
    expect(t.done()).toBe(true);
    expect(t.usage()).toEqual({ prompt_tokens: PROMPT_TOKENS, completion_tokens: 3, total_tokens: PROMPT_TOKENS + 3 });
    expect(fake.seen[0].path).toBe('/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse');
  });

  const tools: ChatRequest['tools'] = [
    {
      type: 'function',
      function: {
        name: 'get_weather',
        parameters: { type: 'object', additionalProperties: false, properties: { location: { type: 'string' } }, required: ['location'] },
      },
    },
  ];

  it('calls the first declared function (non-streaming and streaming)', async () => {
    const r = adapter.parseChatResponse(await (await send(adapter.chatRequest(chat({ tools }), target('gemini-2.0-flash'), false))).json());
    expect(r.finishReason).toBe('tool_calls');
    expect(r.message.content).toBeNull();
    expect(r.message.tool_calls).toEqual([
      { id: expect.stringMatching(/^call_0_/), type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } },
    ]);
    expect(fake.seen[0].body.tools[0].functionDeclarations[0].parameters).toEqual({
      type: 'object',
      properties: { location: { type: 'string' } },
      required: ['location'],
    });

    const t = adapter.streamTranslator();
    const { deltas } = await drain(await send(adapter.chatRequest(chat({ tools }), target('gemini-2.0-flash'), true)), t);
    expect(deltas.flatMap((d) => d.delta.tool_calls ?? [])).toEqual([
      {
        index: 0,
        id: expect.stringMatching(/^call_0_/),
        type: 'function',
        function: { name: 'get_weather', arguments: '{"location":"Paris"}' },
      },
    ]);
    expect(deltas[deltas.length - 1].finishReason).toBe('tool_calls');
    expect(t.usage()?.completion_tokens).toBe(1);
  });

  it('answers JSON mode with {"ok":true}', async () => {
    const spec = adapter.chatRequest(chat({ response_format: { type: 'json_object' } }), target('gemini-2.0-flash'), false);
    const r = adapter.parseChatResponse(await (await send(spec)).json());
    expect(JSON.parse(r.message.content ?? '')).toEqual({ ok: true });
  });

  it('returns thoughts as reasoning when thinking is requested', async () => {
    const r = adapter.parseChatResponse(
      await (await send(adapter.chatRequest(chat({ reasoning: { effort: 'low' } }), target('gemini-2.0-flash'), false))).json(),
    );
    expect(r.message.reasoning).toBe('Thinking.');
    expect(r.usage?.completion_tokens_details).toEqual({ reasoning_tokens: 1 });
    const { deltas } = await drain(
      await send(adapter.chatRequest(chat({ reasoning: { effort: 'low' } }), target('gemini-2.0-flash'), true)),
      adapter.streamTranslator(),
    );
    expect(deltas[0].delta).toEqual({ role: 'assistant', reasoning: 'Thinking.' });
  });

  it.each([
    [429, 'RESOURCE_EXHAUSTED'],
    [500, 'INTERNAL'],
    [503, 'UNAVAILABLE'],
  ])('fail-%i answers that status with a Google error body', async (status, code) => {
    const res = await send(adapter.chatRequest(chat(), target(`gemini-fail-${status}`), true));
    expect(res.status).toBe(status);
    expect(adapter.parseError(res.status, await res.text())).toEqual({ message: expect.stringContaining(String(status)), code });
  });

  it('rejects a missing key (403) and a bad key (401)', async () => {
    const missing = await send(adapter.chatRequest(chat(), target('gemini-2.0-flash', null), false));
    expect(missing.status).toBe(403);
    expect(adapter.parseError(403, await missing.text()).code).toBe('PERMISSION_DENIED');
    const bad = await send(adapter.chatRequest(chat(), target('gemini-2.0-flash', 'bad-key'), false));
    expect(bad.status).toBe(401);
    expect(adapter.parseError(401, await bad.text())).toEqual({
      message: 'API key not valid. Please pass a valid API key.',
      code: 'UNAUTHENTICATED',
    });
  });

  it('slow-<ms> waits before the headers', async () => {
    const started = Date.now();
    const res = await send(adapter.chatRequest(chat(), target('gemini-slow-300'), false));
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(adapter.parseChatResponse(await res.json()).message.content).toBe('Hello from fake-gemini');
  });

  it('cut: two chunks, then the connection dies without a finish reason', async () => {
    const t = adapter.streamTranslator();
    const { deltas, failed } = await drain(await send(adapter.chatRequest(chat(), target('gemini-cut'), true)), t);
    expect(failed).toBe(true);
    expect(contentOf(deltas)).toBe('Hello from');
    expect(t.done()).toBe(false);
    expect(fake.seen[0].aborted).toBeUndefined();
    const whole = await send(adapter.chatRequest(chat(), target('gemini-cut'), false));
    await expect(whole.json()).rejects.toThrow();
  });

  it('long: stops streaming when the client disconnects and records the abort', async () => {
    const ac = new AbortController();
    const res = await send(adapter.chatRequest(chat(), target('gemini-long'), true), ac.signal);
    const parser = new SseParser();
    const t = adapter.streamTranslator();
    const decoder = new TextDecoder();
    let contentDeltas = 0;
    await expect(
      (async () => {
        for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
          for (const e of parser.push(decoder.decode(bytes, { stream: true })))
            contentDeltas += t.push(e).filter((d) => d.delta.content).length;
          if (contentDeltas >= 5) ac.abort();
        }
      })(),
    ).rejects.toThrow();
    expect(t.done()).toBe(false);
    const deadline = Date.now() + 2000;
    while (!fake.seen[0].aborted && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(fake.seen[0].aborted).toBe(true);
  });

  it('long: all 200 chunks when the client stays', async () => {
    const t = adapter.streamTranslator();
    const { deltas } = await drain(await send(adapter.chatRequest(chat(), target('gemini-long'), true)), t);
    expect(deltas.filter((d) => d.delta.content)).toHaveLength(200);
    expect(t.usage()?.completion_tokens).toBe(200);
    expect(fake.seen[0].aborted).toBeUndefined();
  });

  it('embeds text deterministically', async () => {
    const req = { input: ['alpha', 'beta', 'alpha'] };
    const spec = adapter.embeddingsRequest(req, target('text-embedding-004'));
    const res = await send(spec);
    expect(res.status).toBe(200);
    const r = adapter.parseEmbeddingsResponse(await res.json(), req);
    expect(r.data).toHaveLength(3);
    const [a, b, a2] = r.data.map((d) => d.embedding as number[]);
    expect(a).toHaveLength(8);
    expect(a.every((v) => v >= -1 && v <= 1)).toBe(true);
    expect(a2).toEqual(a);
    expect(b).not.toEqual(a);
    expect(r.usage).toEqual({ prompt_tokens: 2 + 1 + 2, total_tokens: 5 });
    expect(fake.seen[0].path).toBe('/v1beta/models/text-embedding-004:batchEmbedContents');
    expect(fake.seen[0].body.requests[0]).toEqual({ model: 'models/text-embedding-004', content: { parts: [{ text: 'alpha' }] } });
  });
});
