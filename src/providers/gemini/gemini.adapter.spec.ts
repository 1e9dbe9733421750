import { AppError } from '../../common/errors/app-error';
import { AdapterError, ChatRequest, ChunkDelta, UpstreamTarget } from '../types';
import { GeminiAdapter } from './gemini.adapter';
import { sanitizeSchema } from './gemini-schema';

/** Request bodies are inspected as plain JSON. */
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const adapter = new GeminiAdapter();
const target: UpstreamTarget = { baseUrl: 'https://generativelanguage.googleapis.com/v1beta/', apiKey: 'k-123', model: 'gemini-2.5-flash' };
const req = (over: Partial<ChatRequest>): ChatRequest => ({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 1000, ...over });
const body = (r: ChatRequest): Json => JSON.parse(adapter.chatRequest(r, target, false).body);

describe('GeminiAdapter.chatRequest', () => {
  it('targets generateContent / streamGenerateContent?alt=sse with the key in a header only', () => {
    const plain = adapter.chatRequest(req({}), target, false);
    expect(plain.url).toBe('https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent');
    expect(plain.headers).toEqual({ 'content-type': 'application/json', 'x-goog-api-key': 'k-123' });
    const streamed = adapter.chatRequest(req({}), target, true);
    expect(streamed.url).toBe('https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    expect(streamed.url).not.toContain('k-123');
    expect(streamed.headers['x-goog-api-key']).toBe('k-123');
    expect(adapter.chatRequest(req({}), { ...target, apiKey: null }, false).headers['x-goog-api-key']).toBeUndefined();
    expect(adapter.chatRequest(req({}), { ...target, model: 'tunedModels/my-tune' }, false).url).toMatch(
      /\/tunedModels\/my-tune:generateContent$/,
    );
  });

  const cases: [string, Partial<ChatRequest>, (b: Json) => void][] = [
    [
      'system and developer messages → systemInstruction',
      {
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'developer', content: [{ type: 'text', text: 'Use French.' }] },
          { role: 'user', content: 'hi' },
        ],
      },
      (b) => {
        expect(b.systemInstruction).toEqual({ parts: [{ text: 'Be brief.' }, { text: 'Use French.' }] });
        expect(b.contents).toEqual([{ role: 'user', parts: [{ text: 'hi' }] }]);
      },
    ],
    [
      'assistant → model; consecutive same-role messages merged',
      {
        messages: [
          { role: 'user', content: 'a' },
          { role: 'user', content: 'b' },
          { role: 'assistant', content: 'c' },
          { role: 'assistant', content: 'd' },
          { role: 'user', content: 'e' },
        ],
      },
      (b) =>
        expect(b.contents).toEqual([
          { role: 'user', parts: [{ text: 'a' }, { text: 'b' }] },
          { role: 'model', parts: [{ text: 'c' }, { text: 'd' }] },
          { role: 'user', parts: [{ text: 'e' }] },
        ]),
    ],
    [
      'images: data URL → inlineData, http URL → fileData with a guessed mime type',
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'what is this?' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
              { type: 'image_url', image_url: { url: 'https://example.com/cat.webp?size=2' } },
              { type: 'image_url', image_url: { url: 'https://example.com/photo' } },
            ],
          },
        ],
      },
      (b) =>
        expect(b.contents[0].parts).toEqual([
          { text: 'what is this?' },
          { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } },
          { fileData: { mimeType: 'image/webp', fileUri: 'https://example.com/cat.webp?size=2' } },
          { fileData: { mimeType: 'image/jpeg', fileUri: 'https://example.com/photo' } },
        ]),
    ],
    [
      'tool calls → functionCall; tool results → functionResponse named from the earlier call',
      {
        messages: [
          { role: 'user', content: 'weather in Paris and Rome?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
              { id: 'call_b', type: 'function', function: { name: 'get_time', arguments: 'not json' } },
            ],
          },
          { role: 'tool', tool_call_id: 'call_a', content: '{"temp":21}' },
          { role: 'tool', tool_call_id: 'call_b', content: '10:00' },
          { role: 'tool', tool_call_id: 'unknown', name: 'fallback_name', content: '' },
        ],
      },
      (b) =>
        expect(b.contents).toEqual([
          { role: 'user', parts: [{ text: 'weather in Paris and Rome?' }] },
          {
            role: 'model',
            parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }, { functionCall: { name: 'get_time', args: {} } }],
          },
          {
            role: 'user',
            parts: [
              { functionResponse: { name: 'get_weather', response: { content: { temp: 21 } } } },
              { functionResponse: { name: 'get_time', response: { content: { result: '10:00' } } } },
              { functionResponse: { name: 'fallback_name', response: { content: { result: '' } } } },
            ],
          },
        ]),
    ],
    [
      'tools → functionDeclarations with sanitised parameters; parameterless functions omit them',
      {
        tools: [
          {
            type: 'function',
            function: {
              name: 'get_weather',
              description: 'Weather',
              strict: true,
              parameters: {
                $schema: 'http://json-schema.org/draft-07/schema#',
                type: 'object',
                additionalProperties: false,
                properties: { city: { type: 'string', format: 'uri', minLength: 1 }, unit: { type: ['string', 'null'], enum: ['c', 'f'] } },
                required: ['city', 'ghost'],
              },
            },
          },
          { type: 'function', function: { name: 'now', parameters: { type: 'object', properties: {} } } },
        ],
      },
      (b) =>
        expect(b.tools).toEqual([
          {
            functionDeclarations: [
              {
                name: 'get_weather',
                description: 'Weather',
                parameters: {
                  type: 'object',
                  properties: { city: { type: 'string', minLength: 1 }, unit: { type: 'string', nullable: true, enum: ['c', 'f'] } },
                  required: ['city'],
                },
              },
              { name: 'now' },
            ],
          },
        ]),
    ],
    ...(
      [
        ['none', { mode: 'NONE' }],
        ['auto', { mode: 'AUTO' }],
        ['required', { mode: 'ANY' }],
        [
          { type: 'function', function: { name: 'f' } },
          { mode: 'ANY', allowedFunctionNames: ['f'] },
        ],
      ] as const
    ).map(([choice, config]): [string, Partial<ChatRequest>, (b: Json) => void] => [
      `tool_choice ${JSON.stringify(choice)} → ${config.mode}`,
      { tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: choice as ChatRequest['tool_choice'] },
      (b) => expect(b.toolConfig).toEqual({ functionCallingConfig: config }),
    ]),
    [
      'generation parameters mapped; OpenAI-only ones dropped',
      {
        max_tokens: 256,
        temperature: 0.2,
        top_p: 0.9,
        top_k: 40,
        seed: 7,
        presence_penalty: 0.1,
        frequency_penalty: 0.3,
        stop: 'END',
        logit_bias: { '1': 2 },
        user: 'u1',
        parallel_tool_calls: false,
        repetition_penalty: 1.1,
      },
      (b) => {
        expect(b.generationConfig).toEqual({
          candidateCount: 1,
          maxOutputTokens: 256,
          temperature: 0.2,
          topP: 0.9,
          topK: 40,
          seed: 7,
          presencePenalty: 0.1,
          frequencyPenalty: 0.3,
          stopSequences: ['END'],
        });
        expect(Object.keys(b).sort()).toEqual(['contents', 'generationConfig']);
      },
    ],
    ['stop array', { stop: ['a', 'b'] }, (b) => expect(b.generationConfig.stopSequences).toEqual(['a', 'b'])],
    [
      'json_object → responseMimeType',
      { response_format: { type: 'json_object' } },
      (b) => {
        expect(b.generationConfig.responseMimeType).toBe('application/json');
        expect(b.generationConfig.responseSchema).toBeUndefined();
      },
    ],
    [
      'json_schema → responseMimeType and a sanitised responseSchema ($ref inlined)',
      {
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'r',
            strict: true,
            schema: {
              type: 'object',
              additionalProperties: false,
              $defs: { Item: { type: 'object', additionalProperties: false, properties: { n: { type: 'integer', format: 'int64' } } } },
              properties: {
                items: { type: 'array', items: { $ref: '#/$defs/Item' } },
                note: { anyOf: [{ type: 'string' }, { type: 'null' }] },
              },
              required: ['items'],
            },
          },
        },
      },
      (b) =>
        expect(b.generationConfig.responseSchema).toEqual({
          type: 'object',
          properties: {
            items: { type: 'array', items: { type: 'object', properties: { n: { type: 'integer', format: 'int64' } } } },
            note: { type: 'string', nullable: true },
          },
          required: ['items'],
        }),
    ],
    [
      'reasoning.max_tokens → thinkingBudget',
      { reasoning: { max_tokens: 2000 } },
      (b) => expect(b.generationConfig.thinkingConfig).toEqual({ thinkingBudget: 2000, includeThoughts: true }),
    ],
    [
      'reasoning.effort high → 80% of max_tokens, within [1024, 24576]',
      { max_tokens: 10000, reasoning: { effort: 'high' } },
      (b) => expect(b.generationConfig.thinkingConfig).toEqual({ thinkingBudget: 8000, includeThoughts: true }),
    ],
    [
      'reasoning.effort low on a small max_tokens → the 1024 floor',
      { max_tokens: 1000, reasoning: { effort: 'low' } },
      (b) => expect(b.generationConfig.thinkingConfig).toEqual({ thinkingBudget: 1024, includeThoughts: true }),
    ],
    [
      'reasoning.exclude → thoughts not returned',
      { max_tokens: 100000, reasoning: { effort: 'medium', exclude: true } },
      (b) => expect(b.generationConfig.thinkingConfig).toEqual({ thinkingBudget: 24576, includeThoughts: false }),
    ],
    [
      'legacy include_reasoning: false → thoughts not returned',
      { max_tokens: 10000, reasoning_effort: 'high', include_reasoning: false },
      (b) => expect(b.generationConfig.thinkingConfig).toEqual({ thinkingBudget: 8000, includeThoughts: false }),
    ],
    [
      'reasoning disabled → thinkingBudget 0',
      { reasoning: { enabled: false } },
      (b) => expect(b.generationConfig.thinkingConfig).toEqual({ thinkingBudget: 0 }),
    ],
  ];

  it.each(cases)('%s', (_name, over, check) => check(body(req(over))));
});

describe('sanitizeSchema', () => {
  it('keeps property names that look like schema keywords and drops unknown keys at every depth', () => {
    expect(
      sanitizeSchema({
        type: 'object',
        properties: { additionalProperties: { type: 'string', examples: ['x'] }, $schema: { const: 'v1' } },
        patternProperties: { '^x': {} },
      }),
    ).toEqual({ type: 'object', properties: { additionalProperties: { type: 'string' }, $schema: { type: 'string', enum: ['v1'] } } });
  });

  it('cuts recursive $refs off instead of looping', () => {
    const schema = { $defs: { Node: { type: 'object', properties: { child: { $ref: '#/$defs/Node' } } } }, $ref: '#/$defs/Node' };
    expect(JSON.stringify(sanitizeSchema(schema)).length).toBeLessThan(2000);
  });
});

describe('GeminiAdapter.parseChatResponse', () => {
  const usageMetadata = {
    promptTokenCount: 10,
    candidatesTokenCount: 5,
    thoughtsTokenCount: 3,
    totalTokenCount: 18,
    cachedContentTokenCount: 4,
  };

  it('joins text parts, separates thoughts and maps usage', () => {
    const r = adapter.parseChatResponse({
      candidates: [
        {
          content: { role: 'model', parts: [{ text: 'Let me think.', thought: true }, { text: 'Hello' }, { text: ', world' }] },
          finishReason: 'STOP',
        },
      ],
      usageMetadata,
    });
    expect(r).toEqual({
      message: { role: 'assistant', content: 'Hello, world', reasoning: 'Let me think.' },
      finishReason: 'stop',
      nativeFinishReason: 'STOP',
      usage: {
        prompt_tokens: 10,
        completion_tokens: 8,
        total_tokens: 18,
        prompt_tokens_details: { cached_tokens: 4 },
        completion_tokens_details: { reasoning_tokens: 3 },
      },
    });
  });

  it('turns function calls into tool_calls (finish reason tool_calls)', () => {
    const r = adapter.parseChatResponse({
      candidates: [
        {
          content: {
            role: 'model',
            parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }, { functionCall: { name: 'now' } }],
          },
          finishReason: 'STOP',
        },
      ],
    });
    expect(r.message.content).toBeNull();
    expect(r.message.tool_calls).toEqual([
      {
        id: expect.stringMatching(/^call_0_[0-9a-f]+$/),
        type: 'function',
        function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
      },
      { id: expect.stringMatching(/^call_1_[0-9a-f]+$/), type: 'function', function: { name: 'now', arguments: '{}' } },
    ]);
    expect(r.finishReason).toBe('tool_calls');
    expect(r.usage).toBeNull();
  });

  it.each([
    ['STOP', 'stop'],
    ['MAX_TOKENS', 'length'],
    ['SAFETY', 'content_filter'],
    ['RECITATION', 'content_filter'],
    ['BLOCKLIST', 'content_filter'],
    ['PROHIBITED_CONTENT', 'content_filter'],
    ['SPII', 'content_filter'],
    ['MALFORMED_FUNCTION_CALL', 'error'],
    ['OTHER', 'stop'],
    ['LANGUAGE', 'stop'],
    ['SOMETHING_NEW', 'stop'],
  ])('finishReason %s → %s', (native, mapped) => {
    const r = adapter.parseChatResponse({ candidates: [{ content: { parts: [{ text: 'x' }] }, finishReason: native }] });
    expect(r.finishReason).toBe(mapped);
    expect(r.nativeFinishReason).toBe(native);
  });

  it('a candidate cut by safety without content gives empty content', () => {
    const r = adapter.parseChatResponse({ candidates: [{ finishReason: 'SAFETY', safetyRatings: [] }] });
    expect(r.message).toEqual({ role: 'assistant', content: '' });
    expect(r.finishReason).toBe('content_filter');
  });

  it('a blocked prompt → content_filter with empty content', () => {
    const r = adapter.parseChatResponse({
      promptFeedback: { blockReason: 'SAFETY' },
      usageMetadata: { promptTokenCount: 7, totalTokenCount: 7 },
    });
    expect(r).toEqual({
      message: { role: 'assistant', content: '' },
      finishReason: 'content_filter',
      nativeFinishReason: 'SAFETY',
      usage: { prompt_tokens: 7, completion_tokens: 0, total_tokens: 7 },
    });
  });

  it.each([[null], ['text'], [[]], [{}], [{ promptFeedback: {} }], [{ error: { code: 500, message: 'boom', status: 'INTERNAL' } }]])(
    'rejects %j as not a response',
    (b) => expect(() => adapter.parseChatResponse(b)).toThrow(AdapterError),
  );
});

describe('GeminiAdapter.streamTranslator', () => {
  const feed = (chunks: unknown[]) => {
    const t = adapter.streamTranslator();
    const deltas: ChunkDelta[] = [];
    const doneAfter: boolean[] = [];
    for (const c of chunks) {
      deltas.push(...t.push({ event: null, data: typeof c === 'string' ? c : JSON.stringify(c) }));
      doneAfter.push(t.done());
    }
    return { t, deltas, doneAfter };
  };
  const text = (s: string, extra: Record<string, unknown> = {}) => ({
    candidates: [{ content: { role: 'model', parts: [{ text: s }] }, ...extra }],
  });

  it('text in several chunks, usage on the last', () => {
    const { t, deltas, doneAfter } = feed([
      { ...text('Hel'), usageMetadata: { promptTokenCount: 4, totalTokenCount: 4 } },
      text('lo'),
      {
        candidates: [{ content: { role: 'model', parts: [{ text: '!' }] }, finishReason: 'STOP' }],
        usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 3, totalTokenCount: 7 },
      },
    ]);
    expect(deltas).toEqual([
      { delta: { role: 'assistant', content: 'Hel' } },
      { delta: { content: 'lo' } },
      { delta: { content: '!' } },
      { delta: {}, finishReason: 'stop', nativeFinishReason: 'STOP' },
    ]);
    expect(doneAfter).toEqual([false, false, true]);
    expect(t.usage()).toEqual({ prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 });
    expect(t.error()).toBeNull();
  });

  it('the prompt count every chunk carries is not the final usage; the one with the finish reason is', () => {
    const t = adapter.streamTranslator();
    t.push({ event: null, data: JSON.stringify({ ...text('Hel'), usageMetadata: { promptTokenCount: 4, totalTokenCount: 4 } }) });
    expect(t.usage()).toEqual({ prompt_tokens: 4, completion_tokens: 0, total_tokens: 4 });
    expect(t.usageFinal?.()).toBe(false);
    t.push({
      event: null,
      data: JSON.stringify({
        candidates: [{ content: { role: 'model', parts: [{ text: '' }] }, finishReason: 'STOP' }],
        usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 1, thoughtsTokenCount: 500, totalTokenCount: 505 },
      }),
    });
    expect(t.usageFinal?.()).toBe(true);
    expect(t.usage()?.completion_tokens).toBe(501);
  });

  it('thoughts as reasoning deltas', () => {
    const { deltas } = feed([
      { candidates: [{ content: { parts: [{ text: 'hmm', thought: true }] } }] },
      text('ok', { finishReason: 'MAX_TOKENS' }),
    ]);
    expect(deltas).toEqual([
      { delta: { role: 'assistant', reasoning: 'hmm' } },
      { delta: { content: 'ok' } },
      { delta: {}, finishReason: 'length', nativeFinishReason: 'MAX_TOKENS' },
    ]);
  });

  it('a function call as one complete tool_call delta', () => {
    const { t, deltas } = feed([
      {
        candidates: [
          {
            content: {
              parts: [{ functionCall: { name: 'get_weather', args: { location: 'Paris' } } }, { functionCall: { name: 'now', args: {} } }],
            },
            finishReason: 'STOP',
          },
        ],
        usageMetadata: { promptTokenCount: 12, candidatesTokenCount: 1, totalTokenCount: 13 },
      },
    ]);
    expect(deltas).toEqual([
      {
        delta: {
          role: 'assistant',
          tool_calls: [
            {
              index: 0,
              id: expect.stringMatching(/^call_0_/),
              type: 'function',
              function: { name: 'get_weather', arguments: '{"location":"Paris"}' },
            },
            { index: 1, id: expect.stringMatching(/^call_1_/), type: 'function', function: { name: 'now', arguments: '{}' } },
          ],
        },
      },
      { delta: {}, finishReason: 'tool_calls', nativeFinishReason: 'STOP' },
    ]);
    expect(t.done()).toBe(true);
    expect(t.usage()?.total_tokens).toBe(13);
  });

  it('an error payload inside the stream', () => {
    const { t, deltas, doneAfter } = feed([
      text('Hi'),
      { error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } },
    ]);
    expect(deltas).toEqual([{ delta: { role: 'assistant', content: 'Hi' } }]);
    expect(doneAfter).toEqual([false, false]);
    expect(t.error()).toEqual({ message: 'The model is overloaded.', code: 'UNAVAILABLE' });
  });

  it('a blocked prompt ends the stream with content_filter', () => {
    const { t, deltas } = feed([{ promptFeedback: { blockReason: 'PROHIBITED_CONTENT' } }]);
    expect(deltas).toEqual([{ delta: { role: 'assistant' }, finishReason: 'content_filter', nativeFinishReason: 'PROHIBITED_CONTENT' }]);
    expect(t.done()).toBe(true);
  });

  it('rejects non-JSON events', () => {
    expect(() => adapter.streamTranslator().push({ event: null, data: 'nope' })).toThrow(AdapterError);
  });
});

describe('GeminiAdapter embeddings', () => {
  it('builds batchEmbedContents for a string or a string array', () => {
    const spec = adapter.embeddingsRequest({ input: ['a', 'bc'], dimensions: 8 }, { ...target, model: 'text-embedding-004' });
    expect(spec.url).toBe('https://generativelanguage.googleapis.com/v1beta/models/text-embedding-004:batchEmbedContents');
    expect(spec.headers['x-goog-api-key']).toBe('k-123');
    expect(JSON.parse(spec.body)).toEqual({
      requests: [
        { model: 'models/text-embedding-004', content: { parts: [{ text: 'a' }] }, outputDimensionality: 8 },
        { model: 'models/text-embedding-004', content: { parts: [{ text: 'bc' }] }, outputDimensionality: 8 },
      ],
    });
    expect(JSON.parse(adapter.embeddingsRequest({ input: 'x' }, target).body).requests).toHaveLength(1);
  });

  it.each([[[1, 2, 3]], [[[1], [2]]], [[]]])('rejects %j as a client error (400)', (input) => {
    let err: unknown;
    try {
      adapter.embeddingsRequest({ input }, target);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).status).toBe(400);
  });

  it('maps embeddings and estimates prompt tokens as ceil(chars / 4) per input', () => {
    const r = adapter.parseEmbeddingsResponse({ embeddings: [{ values: [0.1, 0.2] }, { values: [0.3] }] }, { input: ['hello', 'abc'] });
    expect(r).toEqual({
      data: [
        { object: 'embedding', index: 0, embedding: [0.1, 0.2] },
        { object: 'embedding', index: 1, embedding: [0.3] },
      ],
      usage: { prompt_tokens: 3, total_tokens: 3 },
    });
    expect(adapter.parseEmbeddingsResponse({ embeddings: [] }).usage).toEqual({ prompt_tokens: 0, total_tokens: 0 });
  });

  it('encodes base64 as little-endian float32 when asked', () => {
    const r = adapter.parseEmbeddingsResponse({ embeddings: [{ values: [1, -2] }] }, { input: 'x', encoding_format: 'base64' });
    const buf = Buffer.from(r.data[0].embedding as string, 'base64');
    expect([buf.readFloatLE(0), buf.readFloatLE(4)]).toEqual([1, -2]);
  });

  it.each([[{}], [{ embeddings: [{}] }], [{ embeddings: [{ values: ['x'] }] }]])('rejects %j', (b) => {
    expect(() => adapter.parseEmbeddingsResponse(b)).toThrow(AdapterError);
  });
});

describe('GeminiAdapter.parseError', () => {
  it.each([
    [
      400,
      '{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT"}}',
      { message: 'API key not valid.', code: 'INVALID_ARGUMENT' },
    ],
    [
      429,
      '[{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}]',
      { message: 'Quota exceeded', code: 'RESOURCE_EXHAUSTED' },
    ],
    [500, '{"error":{"code":500,"message":"boom"}}', { message: 'boom', code: '500' }],
    [502, '  <html>Bad gateway</html>\n', { message: '<html>Bad gateway</html>' }],
    [503, '', { message: 'HTTP 503' }],
  ])('%i %s', (status, text, expected) => expect(adapter.parseError(status, text)).toEqual(expected));

  it('caps raw text at 500 characters', () => {
    expect(adapter.parseError(500, 'x'.repeat(2000)).message.length).toBeLessThanOrEqual(501);
  });
});
