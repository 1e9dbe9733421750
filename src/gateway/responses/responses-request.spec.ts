import { AppError } from '../../common/errors/app-error';
import { responsesToChat } from './responses-request';
import type { ResponsesDto } from './responses.dto';

const req = (fields: Partial<ResponsesDto>): ResponsesDto => ({ model: 'm', input: 'hi', ...fields }) as ResponsesDto;

describe('responsesToChat', () => {
  it('serves a string input as one user message, after the instructions as the system prompt', () => {
    expect(responsesToChat(req({ instructions: 'Be brief.', input: 'Say hello' })).messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Say hello' },
    ]);
  });

  it('keeps the routing and sampling fields, and max_output_tokens as max_tokens', () => {
    const body = responsesToChat(
      req({
        models: ['a', 'b'],
        provider: { only: ['x'] } as ResponsesDto['provider'],
        user: 'u',
        stream: true,
        temperature: 0.2,
        top_p: 0.5,
        parallel_tool_calls: false,
        metadata: { k: 'v' },
        session_id: 's',
        max_output_tokens: 50,
      }),
    );
    expect(body).toMatchObject({
      model: 'm',
      models: ['a', 'b'],
      provider: { only: ['x'] },
      user: 'u',
      stream: true,
      temperature: 0.2,
      top_p: 0.5,
      parallel_tool_calls: false,
      metadata: { k: 'v' },
      session_id: 's',
      max_tokens: 50,
    });
  });

  it('turns items into chat messages: parts, images, files, assistant text with its calls, tool results; reasoning items are not replayed', () => {
    const body = responsesToChat(
      req({
        input: [
          { role: 'developer', content: 'Rules.' },
          {
            role: 'user',
            content: [
              { type: 'input_text', text: 'Look: ' },
              { type: 'input_image', image_url: 'https://x/img.png', detail: 'high' },
              { type: 'input_file', filename: 'a.pdf', file_data: 'data:application/pdf;base64,AA' },
            ],
          },
          { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'hmm' }] },
          { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Checking.' }] },
          { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{"a":1}' },
          { type: 'function_call', call_id: 'c2', name: 'g', arguments: '{}' },
          { type: 'function_call_output', call_id: 'c1', output: 'one' },
          { type: 'function_call_output', call_id: 'c2', output: [{ type: 'input_text', text: 'two' }] },
          { type: 'function_call', call_id: 'c3', name: 'f', arguments: '{}' },
        ],
      }),
    );
    expect(body.messages).toEqual([
      { role: 'developer', content: 'Rules.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Look: ' },
          { type: 'image_url', image_url: { url: 'https://x/img.png', detail: 'high' } },
          { type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,AA' } },
        ],
      },
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
          { id: 'c2', type: 'function', function: { name: 'g', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'one' },
      { role: 'tool', tool_call_id: 'c2', content: 'two' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c3', type: 'function', function: { name: 'f', arguments: '{}' } }] },
    ]);
  });

  it('writes function tools, tool_choice, text.format and verbosity as chat does', () => {
    const schema = { type: 'object', properties: {} };
    const body = responsesToChat(
      req({
        tools: [
          { type: 'function', name: 'f', description: 'does f', parameters: schema, strict: true },
          { type: 'function', name: 'g', parameters: null, description: null, strict: null },
        ],
        tool_choice: { type: 'function', name: 'f' },
        text: { format: { type: 'json_schema', name: 's', schema, strict: true }, verbosity: 'low' },
      }),
    );
    expect(body.tools).toEqual([
      { type: 'function', function: { name: 'f', description: 'does f', parameters: schema, strict: true } },
      { type: 'function', function: { name: 'g' } },
    ]);
    expect(body.tool_choice).toEqual({ type: 'function', function: { name: 'f' } });
    expect(body.response_format).toEqual({ type: 'json_schema', json_schema: { name: 's', schema, strict: true } });
    expect(body.verbosity).toBe('low');
    expect(responsesToChat(req({ text: { format: { type: 'text' } }, tool_choice: 'required' }))).not.toHaveProperty('response_format');
    expect(responsesToChat(req({ text: { format: { type: 'json_object' } } })).response_format).toEqual({ type: 'json_object' });
  });

  it('keeps the reasoning controls; a summary alone asks for reasoning', () => {
    expect(responsesToChat(req({ reasoning: { effort: 'high', summary: 'auto' } })).reasoning).toEqual({ effort: 'high' });
    expect(responsesToChat(req({ reasoning: { summary: 'detailed' } })).reasoning).toEqual({ enabled: true });
    expect(responsesToChat(req({ reasoning: { max_tokens: 2000, exclude: true } })).reasoning).toEqual({ max_tokens: 2000, exclude: true });
    expect(responsesToChat(req({ reasoning: {} }))).not.toHaveProperty('reasoning');
  });

  it.each([
    ['store', { store: true }],
    ['previous_response_id', { previous_response_id: 'resp_1' }],
    ['background', { background: true }],
    ['conversation', { conversation: 'conv_1' }],
  ])('refuses %s: nothing is stored', (_field, fields) => {
    expect(() => responsesToChat(req(fields))).toThrow(
      expect.objectContaining({ status: 400, message: expect.stringMatching(/stateless/) }) as AppError,
    );
  });

  it('serves store: false', () => {
    expect(responsesToChat(req({ store: false })).messages).toHaveLength(1);
  });

  it('refuses a conversation without a message to answer', () => {
    expect(() => responsesToChat(req({ instructions: 'x', input: [{ type: 'reasoning', summary: [] }] }))).toThrow(AppError);
  });
});
