import { AppError } from '../../common/errors/app-error';
import { AdapterError, type ChatRequest, type ChunkDelta, type SseEvent } from '../types';
import { AnthropicAdapter, mapStopReason } from './anthropic.adapter';

const adapter = new AnthropicAdapter();
const target = { baseUrl: 'https://api.anthropic.com/v1', apiKey: 'sk-ant-test', model: 'claude-sonnet-4-5' };

/** The JSON body the adapter would POST for `req`. */
function body(req: Partial<ChatRequest>, stream = false): Record<string, unknown> {
  const spec = adapter.chatRequest({ max_tokens: 4096, messages: [{ role: 'user', content: 'hi' }], ...req }, target, stream);
  return JSON.parse(spec.body) as Record<string, unknown>;
}

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather',
    parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
  },
};

describe('AnthropicAdapter.chatRequest', () => {
  it('posts to /messages with Anthropic headers', () => {
    const spec = adapter.chatRequest({ max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }, target, false);
    expect(spec.method).toBe('POST');
    expect(spec.url).toBe('https://api.anthropic.com/v1/messages');
    expect(spec.headers).toEqual({
      'x-api-key': 'sk-ant-test',
      'anthropic-version': '2023-06-01',
      'content-type': 'application/json',
    });
    expect(JSON.parse(spec.body)).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 100,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
    });
  });

  it('handles a trailing slash in baseUrl and a keyless upstream', () => {
    const spec = adapter.chatRequest(
      { max_tokens: 1, messages: [{ role: 'user', content: 'x' }] },
      { ...target, baseUrl: 'http://localhost:1/v1/', apiKey: null },
      true,
    );
    expect(spec.url).toBe('http://localhost:1/v1/messages');
    expect(spec.headers['x-api-key']).toBeUndefined();
    expect(JSON.parse(spec.body).stream).toBe(true);
  });

  it("sends an assistant message's signed and redacted reasoning details back as thinking blocks before its text and tool calls; unsigned ones not", () => {
    const b = body({
      messages: [
        { role: 'user', content: 'Weather?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 't1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }],
          reasoning_details: [
            { type: 'reasoning.text', text: 'Look it up.', signature: 'sig', format: 'anthropic-claude-v1', index: 0 },
            { type: 'reasoning.text', text: 'unsigned' },
            { type: 'reasoning.encrypted', data: 'enc', format: 'anthropic-claude-v1', index: 1 },
          ],
        },
        { role: 'tool', tool_call_id: 't1', content: 'Sunny' },
      ],
    });
    expect((b.messages as { content: unknown }[])[1].content).toEqual([
      { type: 'thinking', thinking: 'Look it up.', signature: 'sig' },
      { type: 'redacted_thinking', data: 'enc' },
      { type: 'tool_use', id: 't1', name: 'get_weather', input: { location: 'Paris' } },
    ]);
  });

  it('moves system and developer messages (text parts only) into `system`', () => {
    const b = body({
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'hi' },
        {
          role: 'developer',
          content: [
            { type: 'text', text: 'Use French.' },
            { type: 'image_url', image_url: { url: 'https://x/y.png' } },
          ],
        },
      ],
    });
    expect(b.system).toBe('You are terse.\n\nUse French.');
    expect(b.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'hi' }] }]);
  });

  it('keeps system as blocks when a part asks for prompt caching', () => {
    const b = body({
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'big doc', cache_control: { type: 'ephemeral' } }] },
        { role: 'user', content: 'hi' },
      ],
    });
    expect(b.system).toEqual([{ type: 'text', text: 'big doc', cache_control: { type: 'ephemeral' } }]);
  });

  it('merges consecutive messages of the same role and prefixes names', () => {
    const b = body({
      messages: [
        { role: 'user', content: 'one', name: 'alice' },
        { role: 'user', content: [{ type: 'text', text: 'two' }], name: 'bob' },
        { role: 'assistant', content: 'three' },
        { role: 'assistant', content: 'four' },
        { role: 'user', content: 'five' },
      ],
    });
    expect(b.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'alice: one' },
          { type: 'text', text: 'bob: two' },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'three' },
          { type: 'text', text: 'four' },
        ],
      },
      { role: 'user', content: [{ type: 'text', text: 'five' }] },
    ]);
  });

  it('drops empty messages and trims a trailing assistant prefill', () => {
    const b = body({
      messages: [
        { role: 'user', content: 'Say hi' },
        { role: 'user', content: '' },
        { role: 'assistant', content: 'Hi ' },
      ],
    });
    expect(b.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Say hi' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Hi' }] },
    ]);
  });

  it("sends a stream's continuation (a trailing assistant message marked prefix: true) as its assistant prefill, without the mark", () => {
    const b = body(
      {
        messages: [
          { role: 'user', content: 'Tell the story.' },
          { role: 'assistant', content: 'Once upon a time', prefix: true },
        ],
      },
      true,
    );
    expect(b.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Tell the story.' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Once upon a time' }] },
    ]);
  });

  it('translates images: data URLs to base64 sources, http(s) URLs to url sources', () => {
    const b = body({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg', detail: 'high' } },
            { type: 'image_url', image_url: { url: 'data:image/svg+xml,%3Csvg%2F%3E' } },
          ],
        },
      ],
    });
    expect(b.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
          { type: 'image', source: { type: 'base64', media_type: 'image/svg+xml', data: Buffer.from('<svg/>').toString('base64') } },
        ],
      },
    ]);
  });

  it('translates PDF file parts to documents', () => {
    const b = body({
      messages: [
        { role: 'user', content: [{ type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } }] },
      ],
    });
    expect((b.messages as { content: unknown[] }[])[0].content).toEqual([
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' } },
    ]);
  });

  it('rejects content Anthropic cannot take with a client error', () => {
    const bad = (content: ChatRequest['messages'][number]['content']) => () => body({ messages: [{ role: 'user', content }] });
    expect(bad([{ type: 'image_url', image_url: { url: 'ftp://x/y.png' } }])).toThrow(AppError);
    expect(bad([{ type: 'input_audio', input_audio: { data: 'x', format: 'wav' } }])).toThrow(/input_audio/);
  });

  it('turns assistant tool_calls into tool_use and tool messages into tool_result blocks', () => {
    const b = body({
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: 'Let me check.',
          tool_calls: [
            { id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } },
            { id: 'toolu_2', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Rome"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_1', content: '18C sunny' },
        { role: 'tool', tool_call_id: 'toolu_2', content: [{ type: 'text', text: '22C' }] },
        { role: 'user', content: 'Thanks, summarise.' },
      ],
    });
    expect(b.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Let me check.' },
          { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { location: 'Paris' } },
          { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: { location: 'Rome' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: '18C sunny' },
          { type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'text', text: '22C' }] },
          { type: 'text', text: 'Thanks, summarise.' },
        ],
      },
    ]);
  });

  it('puts tool_result blocks first in a merged user turn and omits empty results', () => {
    const b = body({
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'go' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 't1', type: 'function', function: { name: 'get_weather', arguments: '' } }],
        },
        { role: 'user', content: 'also this' },
        { role: 'tool', tool_call_id: 't1', content: '' },
      ],
    });
    expect(b.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'go' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'get_weather', input: {} }] },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 't1' },
          { type: 'text', text: 'also this' },
        ],
      },
    ]);
  });

  it.each([
    ['{"a":1}', { a: 1 }],
    ['', {}],
    ['   ', {}],
    ['{"a":', { _raw_arguments: '{"a":' }],
    ['[1,2]', { _raw_arguments: '[1,2]' }],
    ['"str"', { _raw_arguments: '"str"' }],
  ])('tool call arguments %j become input %j', (args, input) => {
    const b = body({
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: args } }] },
      ],
    });
    expect((b.messages as { content: { input: unknown }[] }[])[1].content[0].input).toEqual(input);
  });

  it('translates tools, defaulting a missing schema', () => {
    const b = body({ tools: [weatherTool, { type: 'function', function: { name: 'now' } }] });
    expect(b.tools).toEqual([
      { name: 'get_weather', description: 'Current weather', input_schema: weatherTool.function.parameters },
      { name: 'now', input_schema: { type: 'object', properties: {} } },
    ]);
    expect(b.tool_choice).toBeUndefined();
  });

  it.each<[ChatRequest['tool_choice'], boolean | undefined, unknown]>([
    ['none', undefined, { type: 'none' }],
    ['auto', undefined, { type: 'auto' }],
    ['required', undefined, { type: 'any' }],
    [{ type: 'function', function: { name: 'get_weather' } }, undefined, { type: 'tool', name: 'get_weather' }],
    ['auto', false, { type: 'auto', disable_parallel_tool_use: true }],
    ['required', false, { type: 'any', disable_parallel_tool_use: true }],
    [undefined, false, { type: 'auto', disable_parallel_tool_use: true }],
    ['none', false, { type: 'none' }],
    [undefined, true, undefined],
  ])('tool_choice %j with parallel_tool_calls %j -> %j', (choice, parallel, expected) => {
    const b = body({ tools: [weatherTool], tool_choice: choice, parallel_tool_calls: parallel });
    expect(b.tool_choice).toEqual(expected);
  });

  it('sends no tool_choice without tools', () => {
    expect(body({ tool_choice: 'required' }).tool_choice).toBeUndefined();
  });

  it('implements JSON mode as a system prompt instruction', () => {
    const obj = body({
      messages: [
        { role: 'system', content: 'Be nice.' },
        { role: 'user', content: 'hi' },
      ],
      response_format: { type: 'json_object' },
    });
    expect(obj.system).toBe('Be nice.\n\nRespond with only a JSON object: no code fences, no explanations, no text before or after it.');
    const schema = { type: 'object', properties: { ok: { type: 'boolean' } } };
    const withSchema = body({ response_format: { type: 'json_schema', json_schema: { name: 'r', schema } } });
    expect(withSchema.system).toBe(
      'Respond with only a JSON object: no code fences, no explanations, no text before or after it. ' +
        `The JSON object must conform to this JSON Schema:\n${JSON.stringify(schema)}`,
    );
    expect(body({ response_format: { type: 'text' } }).system).toBeUndefined();
    expect(obj.response_format).toBeUndefined();
  });

  it('maps sampling parameters, clamps temperature and drops OpenAI-only ones', () => {
    const b = body({
      temperature: 1.7,
      top_p: 0.9,
      top_k: 40,
      stop: ['END', ' ', 'STOP'],
      user: 'user-123',
      frequency_penalty: 0.5,
      presence_penalty: 0.5,
      seed: 7,
      logprobs: true,
      logit_bias: { '1': 2 },
    });
    expect(b).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 4096,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      temperature: 1,
      top_p: 0.9,
      top_k: 40,
      stop_sequences: ['END', 'STOP'],
      metadata: { user_id: 'user-123' },
    });
    expect(body({ temperature: 0.3 }).temperature).toBe(0.3);
    expect(body({ stop: 'END' }).stop_sequences).toEqual(['END']);
  });

  it.each<[ChatRequest['reasoning'], number, unknown]>([
    [{ max_tokens: 2000 }, 4096, { type: 'enabled', budget_tokens: 2000 }],
    [{ max_tokens: 10 }, 4096, { type: 'enabled', budget_tokens: 1024 }],
    [{ max_tokens: 9000 }, 4096, { type: 'enabled', budget_tokens: 4095 }],
    [{ effort: 'high' }, 10000, { type: 'enabled', budget_tokens: 8000 }],
    [{ effort: 'medium' }, 10000, { type: 'enabled', budget_tokens: 5000 }],
    [{ effort: 'low' }, 10000, { type: 'enabled', budget_tokens: 2000 }],
    [{ effort: 'low' }, 4096, { type: 'enabled', budget_tokens: 1024 }],
    [{ effort: 'high' }, 100000, { type: 'enabled', budget_tokens: 32000 }],
    [{ enabled: true }, 10000, { type: 'enabled', budget_tokens: 5000 }],
    [{ enabled: false, effort: 'high' }, 10000, undefined],
    [{ effort: 'none' }, 10000, undefined],
    [{ exclude: true }, 10000, undefined],
    [{ effort: 'high' }, 1024, undefined],
  ])('reasoning %j with max_tokens %d -> thinking %j', (reasoning, maxTokens, thinking) => {
    expect(body({ reasoning, max_tokens: maxTokens }).thinking).toEqual(thinking);
  });

  it.each<[Partial<ChatRequest>, unknown]>([
    [{ reasoning_effort: 'high' }, { type: 'enabled', budget_tokens: 8000 }],
    [{ reasoning_effort: 'none' }, undefined],
    [
      { reasoning: { effort: 'low' }, reasoning_effort: 'high' },
      { type: 'enabled', budget_tokens: 2000 },
    ],
    [{ include_reasoning: true }, { type: 'enabled', budget_tokens: 5000 }],
    [
      { include_reasoning: false, reasoning_effort: 'low' },
      { type: 'enabled', budget_tokens: 2000 },
    ],
  ])('top-level reasoning fields %j -> thinking %j', (fields, thinking) => {
    expect(body({ ...fields, max_tokens: 10000 }).thinking).toEqual(thinking);
  });

  it('drops samplers Anthropic refuses with thinking, and thinking when a tool call is forced', () => {
    const b = body({ reasoning: { effort: 'high' }, temperature: 0.2, top_k: 5, top_p: 0.5 });
    expect(b.thinking).toBeDefined();
    expect(b.temperature).toBeUndefined();
    expect(b.top_k).toBeUndefined();
    expect(b.top_p).toBe(0.95);
    const forced = body({ reasoning: { effort: 'high' }, tools: [weatherTool], tool_choice: 'required' });
    expect(forced.thinking).toBeUndefined();
    expect(forced.tool_choice).toEqual({ type: 'any' });
  });
});

describe('AnthropicAdapter.parseChatResponse', () => {
  const message = (over: Record<string, unknown>) => ({
    id: 'msg_01',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5-20250929',
    content: [{ type: 'text', text: 'Hello!' }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 12, output_tokens: 6 },
    ...over,
  });

  it('parses a text message', () => {
    expect(adapter.parseChatResponse(message({}))).toEqual({
      message: { role: 'assistant', content: 'Hello!' },
      finishReason: 'stop',
      nativeFinishReason: 'end_turn',
      usage: {
        prompt_tokens: 12,
        completion_tokens: 6,
        total_tokens: 18,
        prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
      },
    });
  });

  it('joins text blocks, maps thinking to reasoning (signed and redacted thinking also as reasoning details) and tool_use to tool_calls', () => {
    const r = adapter.parseChatResponse(
      message({
        content: [
          { type: 'thinking', thinking: 'User wants weather.', signature: 'sig' },
          { type: 'redacted_thinking', data: 'xxx' },
          { type: 'text', text: 'Checking ' },
          { type: 'text', text: 'now.' },
          { type: 'tool_use', id: 'toolu_01A', name: 'get_weather', input: { location: 'Paris', unit: 'c' } },
        ],
        stop_reason: 'tool_use',
      }),
    );
    expect(r.message).toEqual({
      role: 'assistant',
      content: 'Checking now.',
      reasoning: 'User wants weather.',
      reasoning_details: [
        { type: 'reasoning.text', text: 'User wants weather.', signature: 'sig', format: 'anthropic-claude-v1', index: 0 },
        { type: 'reasoning.encrypted', data: 'xxx', format: 'anthropic-claude-v1', index: 1 },
      ],
      tool_calls: [{ id: 'toolu_01A', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris","unit":"c"}' } }],
    });
    expect(r.finishReason).toBe('tool_calls');
  });

  it('gives null content for a tool-only answer', () => {
    const r = adapter.parseChatResponse(
      message({ content: [{ type: 'tool_use', id: 't', name: 'f', input: {} }], stop_reason: 'tool_use' }),
    );
    expect(r.message.content).toBeNull();
    expect(r.message.tool_calls?.[0].function.arguments).toBe('{}');
  });

  it('counts cached and cache-written tokens into prompt_tokens', () => {
    const r = adapter.parseChatResponse(
      message({ usage: { input_tokens: 10, cache_read_input_tokens: 1000, cache_creation_input_tokens: 200, output_tokens: 50 } }),
    );
    expect(r.usage).toEqual({
      prompt_tokens: 1210,
      completion_tokens: 50,
      total_tokens: 1260,
      prompt_tokens_details: { cached_tokens: 1000, cache_write_tokens: 200 },
    });
  });

  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['pause_turn', 'stop'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
    ['something_new', 'stop'],
  ])('maps stop_reason %s to %s', (native, finish) => {
    const r = adapter.parseChatResponse(message({ stop_reason: native }));
    expect(r.finishReason).toBe(finish);
    expect(r.nativeFinishReason).toBe(native);
  });

  it('handles a null stop_reason and missing usage', () => {
    const r = adapter.parseChatResponse(message({ stop_reason: null, usage: undefined }));
    expect(r.finishReason).toBeNull();
    expect(r.nativeFinishReason).toBeNull();
    expect(r.usage).toBeNull();
    expect(mapStopReason(null)).toBeNull();
  });

  it.each([null, 'text', [], { type: 'error', error: { type: 'api_error', message: 'x' } }, { type: 'message' }])(
    'throws AdapterError for %j',
    (bad) => {
      expect(() => adapter.parseChatResponse(bad)).toThrow(AdapterError);
    },
  );
});

describe('AnthropicAdapter.parseError', () => {
  it('reads Anthropic error bodies', () => {
    const body = JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' }, request_id: 'req_1' });
    expect(adapter.parseError(529, body)).toEqual({ message: 'Overloaded', code: 'overloaded_error' });
  });

  it('falls back to trimmed, bounded text', () => {
    expect(adapter.parseError(502, '  <html>Bad Gateway</html>\n')).toEqual({ message: '<html>Bad Gateway</html>' });
    expect(adapter.parseError(500, 'x'.repeat(2000)).message).toHaveLength(500);
    expect(adapter.parseError(500, '{"unexpected":true}')).toEqual({ message: '{"unexpected":true}' });
    expect(adapter.parseError(503, '')).toEqual({ message: 'Anthropic answered HTTP 503' });
  });
});

/** Builds SSE events as Anthropic sends them: the `event:` name repeats `data.type`. */
function ev(data: Record<string, unknown>): SseEvent {
  return { event: String(data.type), data: JSON.stringify(data) };
}

function feed(events: SseEvent[]) {
  const t = adapter.streamTranslator();
  const deltas: ChunkDelta[] = [];
  for (const e of events) deltas.push(...t.push(e));
  return { t, deltas };
}

describe('AnthropicAdapter.streamTranslator', () => {
  // Mirrors the documented "basic streaming request" example.
  const textStream = [
    ev({
      type: 'message_start',
      message: {
        id: 'msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY',
        type: 'message',
        role: 'assistant',
        content: [],
        model: 'claude-sonnet-4-5-20250929',
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 25, cache_read_input_tokens: 100, cache_creation_input_tokens: 0, output_tokens: 1 },
      },
    }),
    ev({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
    ev({ type: 'ping' }),
    ev({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello' } }),
    ev({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: '!' } }),
    ev({ type: 'content_block_stop', index: 0 }),
    ev({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 15 } }),
    ev({ type: 'message_stop' }),
  ];

  it('translates a text stream', () => {
    const t = adapter.streamTranslator();
    expect(t.usage()).toBeNull();
    const perEvent = textStream.map((e) => {
      const out = t.push(e);
      return { out, done: t.done() };
    });
    expect(perEvent.map((p) => p.out)).toEqual([
      [{ delta: { role: 'assistant' } }],
      [],
      [],
      [{ delta: { content: 'Hello' } }],
      [{ delta: { content: '!' } }],
      [],
      [{ delta: {}, finishReason: 'stop', nativeFinishReason: 'end_turn' }],
      [],
    ]);
    expect(perEvent.map((p) => p.done)).toEqual([false, false, false, false, false, false, false, true]);
    expect(t.usage()).toEqual({
      prompt_tokens: 125,
      completion_tokens: 15,
      total_tokens: 140,
      prompt_tokens_details: { cached_tokens: 100, cache_write_tokens: 0 },
    });
    expect(t.error()).toBeNull();
  });

  it('knows usage from message_start before the end', () => {
    const t = adapter.streamTranslator();
    t.push(textStream[0]);
    expect(t.usage()).toMatchObject({ prompt_tokens: 125, completion_tokens: 1 });
    // message_start's output count is a placeholder: the bill comes with message_delta.
    expect(t.usageFinal?.()).toBe(false);
    t.push(ev({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 7 } }));
    expect(t.usageFinal?.()).toBe(true);
  });

  it('tolerates events without an `event:` name and uses data.type', () => {
    const { t, deltas } = feed(textStream.map((e) => ({ event: null, data: e.data })));
    expect(deltas.map((d) => d.delta.content ?? '').join('')).toBe('Hello!');
    expect(t.done()).toBe(true);
  });

  it('translates thinking, text and two tool_use blocks with input_json_delta fragments', () => {
    const { t, deltas } = feed([
      ev({
        type: 'message_start',
        message: {
          id: 'msg_2',
          type: 'message',
          role: 'assistant',
          content: [],
          model: 'claude',
          usage: { input_tokens: 472, output_tokens: 2 },
        },
      }),
      ev({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } }),
      ev({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Two cities, ' } }),
      ev({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'two calls.' } }),
      ev({ type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'EqQBCgIYAhIM' } }),
      ev({ type: 'content_block_stop', index: 0 }),
      ev({ type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } }),
      ev({ type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Okay, checking.' } }),
      ev({ type: 'content_block_stop', index: 1 }),
      ev({ type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_01T1', name: 'get_weather', input: {} } }),
      ev({ type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '' } }),
      ev({ type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"location":' } }),
      ev({ type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: ' "Paris"}' } }),
      ev({ type: 'content_block_stop', index: 2 }),
      ev({ type: 'content_block_start', index: 3, content_block: { type: 'tool_use', id: 'toolu_01T2', name: 'now', input: {} } }),
      ev({ type: 'content_block_stop', index: 3 }),
      ev({ type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 89 } }),
      ev({ type: 'message_stop' }),
    ]);
    expect(deltas).toEqual([
      { delta: { role: 'assistant' } },
      { delta: { reasoning: 'Two cities, ' } },
      { delta: { reasoning: 'two calls.' } },
      // The signature, for the client to send the thinking back with its tool results.
      { delta: { reasoning_details: [{ type: 'reasoning.text', signature: 'EqQBCgIYAhIM', format: 'anthropic-claude-v1', index: 0 }] } },
      { delta: { content: 'Okay, checking.' } },
      { delta: { tool_calls: [{ index: 0, id: 'toolu_01T1', type: 'function', function: { name: 'get_weather', arguments: '' } }] } },
      { delta: { tool_calls: [{ index: 0, function: { arguments: '{"location":' } }] } },
      { delta: { tool_calls: [{ index: 0, function: { arguments: ' "Paris"}' } }] } },
      { delta: { tool_calls: [{ index: 1, id: 'toolu_01T2', type: 'function', function: { name: 'now', arguments: '' } }] } },
      { delta: { tool_calls: [{ index: 1, function: { arguments: '{}' } }] } },
      { delta: {}, finishReason: 'tool_calls', nativeFinishReason: 'tool_use' },
    ]);
    expect(t.usage()).toEqual({
      prompt_tokens: 472,
      completion_tokens: 89,
      total_tokens: 561,
      prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
    });
    expect(t.done()).toBe(true);
  });

  it('reports an error event and is not done', () => {
    const { t, deltas } = feed([
      textStream[0],
      textStream[1],
      textStream[3],
      ev({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }),
    ]);
    expect(deltas).toEqual([{ delta: { role: 'assistant' } }, { delta: { content: 'Hello' } }]);
    expect(t.error()).toEqual({ message: 'Overloaded', code: 'overloaded_error' });
    expect(t.done()).toBe(false);
    expect(t.usage()).toMatchObject({ prompt_tokens: 125, completion_tokens: 1 });
  });

  it('reports an error event that opens the stream', () => {
    const { t, deltas } = feed([ev({ type: 'error', error: { type: 'api_error', message: 'Internal server error' } })]);
    expect(deltas).toEqual([]);
    expect(t.error()).toEqual({ message: 'Internal server error', code: 'api_error' });
    expect(t.usage()).toBeNull();
  });

  it('maps max_tokens, ignores unknown events and updates input from message_delta', () => {
    const { t, deltas } = feed([
      textStream[0],
      ev({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: 'Hi' } }),
      ev({ type: 'some_future_event', foo: 1 }),
      ev({ type: 'message_delta', delta: { stop_reason: 'max_tokens' }, usage: { input_tokens: 30, output_tokens: 4 } }),
    ]);
    expect(deltas).toEqual([
      { delta: { role: 'assistant' } },
      { delta: { content: 'Hi' } },
      { delta: {}, finishReason: 'length', nativeFinishReason: 'max_tokens' },
    ]);
    expect(t.usage()).toMatchObject({ prompt_tokens: 130, completion_tokens: 4 });
    expect(t.done()).toBe(false);
  });

  it('gives the role to the first delta even without message_start', () => {
    const { deltas } = feed([textStream[3]]);
    expect(deltas).toEqual([{ delta: { role: 'assistant', content: 'Hello' } }]);
  });

  it('throws AdapterError on an event that is not JSON', () => {
    const t = adapter.streamTranslator();
    expect(() => t.push({ event: 'message_start', data: 'not json' })).toThrow(AdapterError);
  });
});
