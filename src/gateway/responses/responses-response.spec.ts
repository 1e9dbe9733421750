import type { ChatResult } from '../../providers/types';
import type { Bill } from '../bill';
import { chatResultToResponse, echoOf, ResponseContext } from './responses-response';
import type { ResponsesDto } from './responses.dto';

const ctx = (fields: Partial<ResponseContext> = {}): ResponseContext => ({
  id: 'gen-xyz',
  createdAt: 1700000000,
  now: 1700000001,
  model: 'test/m',
  provider: 'Alpha',
  serviceTier: null,
  excludeReasoning: false,
  echo: echoOf({ input: 'hi' } as ResponsesDto),
  ...fields,
});

const bill: Bill = {
  usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
  estimated: false,
  cost: 70n,
  split: { prompt: 30n, completion: 40n },
  billed: null,
};

const result = (message: Partial<ChatResult['message']>, finishReason: ChatResult['finishReason'] = 'stop'): ChatResult => ({
  message: { role: 'assistant', content: null, ...message },
  finishReason,
  nativeFinishReason: null,
  usage: null,
});

describe('chatResultToResponse', () => {
  it('writes a chat answer as a Response: reasoning, message, function calls, usage with cost, the request echoed', () => {
    const echo = echoOf({
      input: 'hi',
      instructions: 'Be brief.',
      tools: [{ type: 'function', name: 'f' }],
      tool_choice: 'required',
      temperature: 0.3,
      max_output_tokens: 100,
      reasoning: { effort: 'low', summary: 'auto' },
      text: { format: { type: 'json_object' } },
      metadata: { a: 'b' },
      user: 'u1',
    } as ResponsesDto);
    const res = chatResultToResponse(
      ctx({ echo }),
      result(
        {
          reasoning: 'hmm',
          content: 'Calling.',
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }],
        },
        'tool_calls',
      ),
      bill,
    );
    expect(res).toMatchObject({
      id: 'gen-xyz',
      object: 'response',
      created_at: 1700000000,
      completed_at: 1700000001,
      status: 'completed',
      error: null,
      incomplete_details: null,
      model: 'test/m',
      provider: 'Alpha',
      instructions: 'Be brief.',
      tools: [{ type: 'function', name: 'f', description: null, parameters: null, strict: null }],
      tool_choice: 'required',
      temperature: 0.3,
      top_p: null,
      max_output_tokens: 100,
      reasoning: { effort: 'low', summary: 'auto' },
      text: { format: { type: 'json_object' } },
      metadata: { a: 'b' },
      user: 'u1',
      parallel_tool_calls: true,
      store: false,
      previous_response_id: null,
    });
    expect(res.output).toEqual([
      { id: 'rs_xyz_0', type: 'reasoning', summary: [{ type: 'summary_text', text: 'hmm' }] },
      {
        id: 'msg_xyz_1',
        type: 'message',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: 'Calling.', annotations: [], logprobs: [] }],
      },
      { id: 'fc_xyz_2', type: 'function_call', status: 'completed', call_id: 'call_1', name: 'f', arguments: '{}' },
    ]);
    expect(res.usage).toEqual({
      input_tokens: 3,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 4,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 7,
      cost: 7e-8,
      is_byok: false,
      cost_details: { upstream_inference_cost: null, upstream_inference_prompt_cost: 3e-8, upstream_inference_completions_cost: 4e-8 },
    });
  });

  it('a call alone is no message; excluded reasoning is left out', () => {
    const res = chatResultToResponse(
      ctx({ excludeReasoning: true }),
      result({ reasoning: 'secret', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] }, 'tool_calls'),
      bill,
    );
    expect(res.output.map((o) => o.type)).toEqual(['function_call']);
  });

  it.each([
    ['length', 'max_output_tokens'],
    ['content_filter', 'content_filter'],
  ] as const)('finish reason %s is an incomplete response (%s)', (finish, reason) => {
    const res = chatResultToResponse(ctx(), result({ content: 'Hel' }, finish), bill);
    expect(res).toMatchObject({ status: 'incomplete', incomplete_details: { reason } });
    expect(res.output[0]).toMatchObject({ status: 'incomplete' });
  });

  it('defaults the echo as OpenAI does', () => {
    expect(echoOf({ input: 'hi' } as ResponsesDto)).toEqual({
      instructions: null,
      max_output_tokens: null,
      metadata: {},
      parallel_tool_calls: true,
      reasoning: null,
      temperature: null,
      text: { format: { type: 'text' } },
      tool_choice: 'auto',
      tools: [],
      top_p: null,
      user: null,
    });
  });
});
