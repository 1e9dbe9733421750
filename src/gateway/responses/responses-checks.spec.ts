import { checkInput, checkReasoning, checkResponsesToolChoice, checkResponsesTools, checkText } from './responses-checks';

describe('Responses request checks', () => {
  it('accepts what the API sends', () => {
    expect(checkInput('hi')).toBeNull();
    expect(
      checkInput([
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'a' },
            { type: 'input_image', image_url: 'data:image/png;base64,AA' },
            { type: 'input_file', file_url: 'https://x/a.pdf' },
          ],
        },
        {
          type: 'message',
          role: 'assistant',
          content: [
            { type: 'output_text', text: 'b', annotations: [] },
            { type: 'refusal', refusal: 'no' },
          ],
        },
        { type: 'function_call', call_id: 'c', name: 'f', arguments: '{}' },
        { type: 'function_call_output', call_id: 'c', output: 'ok' },
        { type: 'reasoning', id: 'rs', summary: [] },
      ]),
    ).toBeNull();
    expect(checkResponsesTools([{ type: 'function', name: 'f', parameters: { type: 'object' }, strict: true }])).toBeNull();
    expect(checkResponsesToolChoice('required')).toBeNull();
    expect(checkResponsesToolChoice({ type: 'function', name: 'f' })).toBeNull();
    expect(checkReasoning({ effort: 'minimal', summary: 'concise' })).toBeNull();
    expect(checkText({ format: { type: 'json_schema', name: 'x', schema: {} }, verbosity: 'high' })).toBeNull();
  });

  it.each([
    [5, 'must be a string or an array'],
    [[], 'at least one item'],
    [[null], '[0] must be an object'],
    [[{ type: 'item_reference', id: 'x' }], 'stateless'],
    [[{ type: 'computer_call' }], 'not supported'],
    [[{ role: 'user', content: [{ type: 'input_audio' }] }], 'not supported'],
    [[{ role: 'user', content: [{ type: 'input_image', file_id: 'f' }] }], 'file_id is not supported'],
    [[{ role: 'user', content: 7 }], 'content must be'],
    [[{ type: 'function_call', call_id: 'c', name: 'bad name', arguments: '{}' }], 'name must be'],
    [[{ type: 'function_call', call_id: 'c', name: 'f', arguments: {} }], 'arguments must be a string'],
    [[{ type: 'function_call_output', call_id: 'c' }], 'output must be'],
  ])('refuses input %j, saying where', (input, problem) => {
    expect(checkInput(input)).toContain(problem);
  });

  it('refuses tools other than functions, and malformed ones', () => {
    expect(checkResponsesTools([{ type: 'web_search_preview' }])).toContain('only function tools');
    expect(checkResponsesTools([{ type: 'function' }])).toContain('name must be');
    expect(checkResponsesTools([{ type: 'function', name: 'f', parameters: 'x' }])).toContain('parameters');
    expect(checkResponsesToolChoice({ type: 'function' })).not.toBeNull();
    expect(checkReasoning({ effort: 'max' })).toContain('effort');
    expect(checkText({ format: { type: 'json_schema', name: 'x' } })).toContain('schema');
    expect(checkText({ format: { type: 'xml' } })).toContain('format.type');
  });
});
