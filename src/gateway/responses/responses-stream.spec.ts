import { accumulateResponse } from 'openai/lib/responses/ResponseAccumulator';
import type { Response, ResponseStreamEvent } from 'openai/resources/responses/responses';
import type { NormalisedError } from '../../common/errors/error-envelope';
import type { ChunkDelta } from '../../providers/types';
import type { Bill } from '../bill';
import type { SseFrame } from '../response-shape';
import { echoOf, ResponseContext } from './responses-response';
import { ResponsesStream } from './responses-stream';
import type { ResponsesDto } from './responses.dto';

const ctx: ResponseContext = {
  id: 'gen-abc',
  createdAt: 1700000000,
  now: 1700000002,
  model: 'test/m',
  provider: 'Alpha',
  serviceTier: null,
  excludeReasoning: false,
  echo: echoOf({ input: 'hi' } as ResponsesDto),
};

const bill: Bill = {
  usage: {
    prompt_tokens: 10,
    completion_tokens: 6,
    total_tokens: 16,
    prompt_tokens_details: { cached_tokens: 4 },
    completion_tokens_details: { reasoning_tokens: 2 },
  },
  estimated: false,
  cost: 1500n,
  split: { prompt: 1000n, completion: 500n },
  billed: null,
};

const events = (frames: SseFrame[]) =>
  frames.map((f) => {
    const e = JSON.parse(f.data) as ResponseStreamEvent;
    expect(f.event).toBe(e.type);
    return e;
  });

/** What the openai SDK builds from the events: it throws on an event that does not fit its snapshot. */
const replay = (evs: ResponseStreamEvent[]): Response =>
  evs.reduce<Response | undefined>((snap, e) => accumulateResponse(e, snap), undefined)!;

const d = (delta: ChunkDelta['delta'], finishReason?: ChunkDelta['finishReason']): ChunkDelta => ({
  delta,
  ...(finishReason ? { finishReason } : {}),
});

describe('ResponsesStream', () => {
  it('writes reasoning, text and function calls as items, numbered, with their ...done events, then response.completed', () => {
    const s = new ResponsesStream(() => ctx);
    const frames = [
      ...s.deltas([d({ role: 'assistant', content: '' })]),
      ...s.deltas([d({ reasoning: 'Think' }), d({ reasoning: 'ing.' })]),
      ...s.deltas([d({ content: 'Hel' }), d({ content: 'lo' })]),
      ...s.deltas([d({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '' } }] })]),
      ...s.deltas([
        d({ tool_calls: [{ index: 0, function: { arguments: '{"a":' } }] }),
        d({ tool_calls: [{ index: 0, function: { arguments: '1}' } }] }),
      ]),
      ...s.deltas([d({ tool_calls: [{ index: 1, id: 'call_2', function: { name: 'g', arguments: '{}' } }] })]),
      ...s.deltas([d({}, 'tool_calls')]),
      ...s.complete(bill),
    ];
    const evs = events(frames);
    expect(evs.map((e) => e.sequence_number)).toEqual(evs.map((_, i) => i));
    expect(evs.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const completed = evs[evs.length - 1] as Extract<ResponseStreamEvent, { type: 'response.completed' }>;
    expect(completed.response).toMatchObject({
      id: 'gen-abc',
      status: 'completed',
      model: 'test/m',
      completed_at: 1700000002,
      error: null,
      incomplete_details: null,
    });
    expect(completed.response.output).toEqual([
      { id: 'rs_abc_0', type: 'reasoning', summary: [{ type: 'summary_text', text: 'Thinking.' }], status: 'completed' },
      {
        id: 'msg_abc_1',
        type: 'message',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: 'Hello', annotations: [], logprobs: [] }],
      },
      { id: 'fc_abc_2', type: 'function_call', status: 'completed', call_id: 'call_1', name: 'f', arguments: '{"a":1}' },
      { id: 'fc_abc_3', type: 'function_call', status: 'completed', call_id: 'call_2', name: 'g', arguments: '{}' },
    ]);
    expect(completed.response.usage).toEqual({
      input_tokens: 10,
      input_tokens_details: { cached_tokens: 4 },
      output_tokens: 6,
      output_tokens_details: { reasoning_tokens: 2 },
      total_tokens: 16,
      cost: 0.0000015,
      is_byok: false,
      cost_details: {
        upstream_inference_cost: null,
        upstream_inference_prompt_cost: 0.000001,
        upstream_inference_completions_cost: 0.0000005,
      },
    });
    // The SDK's own accumulation of the events comes to the same response.
    const snapshot = replay(evs);
    expect(snapshot.output).toEqual(completed.response.output);
    expect(snapshot.output_text).toBe('Hello');
  });

  it('names each delta by its item and part', () => {
    const s = new ResponsesStream(() => ctx);
    const evs = events([...s.deltas([d({ content: 'a' })]), ...s.deltas([d({ refusal: 'no' })])]);
    expect(evs.find((e) => e.type === 'response.output_text.delta')).toMatchObject({
      item_id: 'msg_abc_0',
      output_index: 0,
      content_index: 0,
      delta: 'a',
    });
    // A refusal is a second part of the same message.
    expect(evs.find((e) => e.type === 'response.content_part.added' && e.part.type === 'refusal')).toMatchObject({
      item_id: 'msg_abc_0',
      content_index: 1,
    });
    expect(evs.find((e) => e.type === 'response.refusal.delta')).toMatchObject({ output_index: 0, content_index: 1, delta: 'no' });
    replay(evs);
  });

  it('an answer cut by max_output_tokens ends with response.incomplete, its message incomplete', () => {
    const s = new ResponsesStream(() => ctx);
    const evs = events([...s.deltas([d({ content: 'Hel' }, 'length')]), ...s.complete(bill)]);
    const last = evs[evs.length - 1] as Extract<ResponseStreamEvent, { type: 'response.incomplete' }>;
    expect(last.type).toBe('response.incomplete');
    expect(last.response).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
    expect(last.response.output[0]).toMatchObject({ type: 'message', status: 'incomplete' });
    expect(replay(evs).status).toBe('incomplete');
  });

  it('a failure ends the open item and the stream with response.failed and the usage billed', () => {
    const s = new ResponsesStream(() => ctx);
    const error = {
      status: 503,
      code: 'provider_unavailable',
      message: 'Provider returned error',
      metadata: {},
      headers: {},
      internal: true,
    } as NormalisedError;
    const evs = events([...s.deltas([d({ content: 'Hel' })]), ...s.failed(error, bill)]);
    const last = evs[evs.length - 1] as Extract<ResponseStreamEvent, { type: 'response.failed' }>;
    expect(last.response).toMatchObject({
      status: 'failed',
      error: { code: 'server_error', message: 'Provider returned error' },
      usage: { output_tokens: 6, cost: 0.0000015 },
    });
    expect(last.response.output).toEqual([expect.objectContaining({ type: 'message', status: 'incomplete' })]);
    expect(replay(evs).status).toBe('failed');
  });

  it('a failure before any output still opens the stream it ends', () => {
    const s = new ResponsesStream(() => ctx);
    const error = {
      status: 429,
      code: 'rate_limit_exceeded',
      message: 'slow down',
      metadata: {},
      headers: {},
      internal: false,
    } as NormalisedError;
    const evs = events(s.failed(error, { ...bill, usage: null, cost: 0n, split: { prompt: 0n, completion: 0n } }));
    expect(evs.map((e) => e.type)).toEqual(['response.created', 'response.in_progress', 'response.failed']);
    expect(evs[2]).toMatchObject({
      response: { error: { code: 'rate_limit_exceeded' }, usage: { input_tokens: 0, output_tokens: 0, cost: 0 } },
    });
  });
});
