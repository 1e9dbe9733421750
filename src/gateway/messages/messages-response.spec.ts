import type { ChunkDelta } from '../../providers/types';
import type { SseFrame } from '../response-shape';
import { messageJson, messagesUsage, MessagesStreamEncoder, stopReason } from './messages-response';

const head = { id: 'gen-1', model: 'm/x', provider: 'P' };
const events = (frames: SseFrame[]) =>
  frames.map((f) => {
    const data = JSON.parse(f.data) as Record<string, unknown>;
    expect(f.event).toBe(data.type);
    return data;
  });

describe('Messages answers from chat results', () => {
  it.each([
    ['stop', 'stop', 'end_turn'],
    ['stop', 'stop_sequence', 'stop_sequence'],
    ['length', 'max_tokens', 'max_tokens'],
    ['length', 'length', 'max_tokens'],
    ['tool_calls', 'tool_calls', 'tool_use'],
    ['content_filter', 'content_filter', 'refusal'],
    ['stop', 'pause_turn', 'pause_turn'],
    [null, null, 'end_turn'],
  ] as const)('finish %s (native %s) -> stop_reason %s', (finish, native, expected) => {
    expect(stopReason(finish, native)).toBe(expected);
  });

  it('usage: input_tokens without the cache reads and writes, as Anthropic counts them; the cost when given', () => {
    expect(
      messagesUsage(
        {
          prompt_tokens: 100,
          completion_tokens: 7,
          total_tokens: 107,
          prompt_tokens_details: { cached_tokens: 30, cache_write_tokens: 20 },
        },
        0.5,
      ),
    ).toEqual({
      input_tokens: 50,
      output_tokens: 7,
      cache_read_input_tokens: 30,
      cache_creation_input_tokens: 20,
      cost: 0.5,
    });
    expect(messagesUsage(null)).toEqual({ input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 });
  });

  it('a message: signed thinking, redacted thinking, text, tool calls (arguments that are no object kept raw)', () => {
    const json = messageJson(
      head,
      {
        message: {
          role: 'assistant',
          content: 'Done.',
          reasoning: 'hmm',
          reasoning_details: [
            { type: 'reasoning.text', text: 'hmm', signature: 'sig' },
            { type: 'reasoning.encrypted', data: 'enc' },
          ],
          tool_calls: [
            { id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
            { id: 'c2', type: 'function', function: { name: 'g', arguments: 'not json' } },
          ],
        },
        finishReason: 'tool_calls',
        nativeFinishReason: 'tool_use',
        usage: null,
      },
      messagesUsage(null),
      false,
    );
    expect(json).toMatchObject({
      id: 'gen-1',
      type: 'message',
      role: 'assistant',
      model: 'm/x',
      stop_reason: 'tool_use',
      stop_sequence: null,
    });
    expect(json.content).toEqual([
      { type: 'thinking', thinking: 'hmm', signature: 'sig' },
      { type: 'redacted_thinking', data: 'enc' },
      { type: 'text', text: 'Done.', citations: null },
      { type: 'tool_use', id: 'c1', name: 'f', input: { a: 1 } },
      { type: 'tool_use', id: 'c2', name: 'g', input: { _raw_arguments: 'not json' } },
    ]);
  });

  it('unsigned reasoning is a thinking block with an empty signature; excluded reasoning is none', () => {
    const result = {
      message: { role: 'assistant' as const, content: 'Hi', reasoning: 'thought' },
      finishReason: 'stop' as const,
      nativeFinishReason: 'stop',
      usage: null,
    };
    expect(messageJson(head, result, messagesUsage(null), false).content).toEqual([
      { type: 'thinking', thinking: 'thought', signature: '' },
      { type: 'text', text: 'Hi', citations: null },
    ]);
    expect(messageJson(head, result, messagesUsage(null), true).content).toEqual([{ type: 'text', text: 'Hi', citations: null }]);
  });
});

describe('MessagesStreamEncoder', () => {
  it('thinking with its signature, text, then two tool calls, closed by message_delta and message_stop', () => {
    const enc = new MessagesStreamEncoder(head);
    const deltas: ChunkDelta[] = [
      { delta: { role: 'assistant' } },
      { delta: { reasoning: 'Let me' } },
      { delta: { reasoning: ' think.' } },
      { delta: { reasoning_details: [{ type: 'reasoning.text', signature: 'sig' }] } },
      { delta: { content: 'Sure.' } },
      { delta: { tool_calls: [{ index: 0, id: 'c1', type: 'function', function: { name: 'f', arguments: '' } }] } },
      { delta: { tool_calls: [{ index: 0, function: { arguments: '{"a":' } }] } },
      { delta: { tool_calls: [{ index: 0, function: { arguments: '1}' } }] } },
      { delta: { tool_calls: [{ index: 1, id: 'c2', type: 'function', function: { name: 'g', arguments: '{}' } }] } },
      { delta: {}, finishReason: 'tool_calls', nativeFinishReason: 'tool_calls' },
    ];
    const out = events([
      ...enc.deltas(deltas.slice(0, 3)),
      ...enc.deltas(deltas.slice(3)),
      ...enc.end(messagesUsage({ prompt_tokens: 5, completion_tokens: 9, total_tokens: 14 }, 0.001)),
    ]);
    expect(out).toEqual([
      {
        type: 'message_start',
        message: {
          id: 'gen-1',
          type: 'message',
          role: 'assistant',
          model: 'm/x',
          provider: 'P',
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: messagesUsage(null),
        },
      },
      { type: 'ping' },
      { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Let me' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: ' think.' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'sig' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '', citations: null } },
      { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Sure.' } },
      { type: 'content_block_stop', index: 1 },
      { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'c1', name: 'f', input: {} } },
      { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"a":' } },
      { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '1}' } },
      { type: 'content_block_stop', index: 2 },
      { type: 'content_block_start', index: 3, content_block: { type: 'tool_use', id: 'c2', name: 'g', input: {} } },
      { type: 'content_block_delta', index: 3, delta: { type: 'input_json_delta', partial_json: '{}' } },
      { type: 'content_block_stop', index: 3 },
      {
        type: 'message_delta',
        delta: { stop_reason: 'tool_use', stop_sequence: null },
        usage: { input_tokens: 5, output_tokens: 9, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, cost: 0.001 },
      },
      { type: 'message_stop' },
    ]);
  });

  it('redacted thinking is a block of its own', () => {
    const out = events(
      new MessagesStreamEncoder(head).deltas([
        { delta: { reasoning_details: [{ type: 'reasoning.encrypted', data: 'enc' }] } },
        { delta: { content: 'x' } },
      ]),
    );
    expect(out.slice(2, 5)).toEqual([
      { type: 'content_block_start', index: 0, content_block: { type: 'redacted_thinking', data: 'enc' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '', citations: null } },
    ]);
  });

  it('an empty stream still opens and closes the message; an error is an error event in Anthropic’s shape', () => {
    const enc = new MessagesStreamEncoder(head);
    expect(events(enc.end(messagesUsage(null))).map((e) => e.type)).toEqual(['message_start', 'ping', 'message_delta', 'message_stop']);
    expect(events(enc.error({ status: 502, message: 'The provider stream failed' }))).toEqual([
      { type: 'error', error: { type: 'api_error', message: 'The provider stream failed' } },
    ]);
  });
});
