import { healingShape, healJson, healResult } from './response-healing';

describe('response-healing', () => {
  it.each([
    ['a code fence', '```json\n{"name": "Bob"}\n```', '{"name": "Bob"}'],
    ['a code fence without a language', '```\n{"a": 1}\n```', '{"a": 1}'],
    [
      'words before and after',
      'Here is the data you asked for:\n{"name": "Charlie", "age": 25}\nHope that helps!',
      '{"name": "Charlie", "age": 25}',
    ],
    ['a trailing comma', '{"name": "David", "age": 35,}', '{"name": "David", "age": 35}'],
    ['missing closing brackets', '{"name": "Alice", "tags": ["a", "b"', '{"name": "Alice", "tags": ["a", "b"]}'],
    ['a truncated string', '{"name": "Ali', '{"name": "Ali"}'],
    ['unquoted keys and single quotes', "{name: 'Eve', age: 40}", '{"name": "Eve", "age": 40}'],
    ['a fence cut off before its end', '```json\n{"a": [1, 2,', '{"a": [1, 2]}'],
  ])('repairs %s', (_what, text, healed) => {
    expect(healJson(text, 'object')).toBe(healed);
    expect(JSON.parse(healJson(text, 'object')!)).toEqual(JSON.parse(healed));
  });

  it('leaves valid JSON alone, whatever its formatting', () => {
    expect(healJson('{\n  "a": 1\n}', 'object')).toBeNull();
    expect(healJson('[1, 2]', 'array')).toBeNull();
  });

  it('gives up on text with no JSON of the asked shape, rather than inventing one', () => {
    expect(healJson('I cannot help with that.', 'object')).toBeNull();
    expect(healJson('"just a string"', 'object')).toBeNull();
    expect(healJson('[1, 2]', 'object')).toBeNull();
  });

  it('an array schema heals to an array', () => {
    expect(healJson('Sure: [1, 2, 3,]', 'array')).toBe('[1, 2, 3]');
  });

  it('applies to json_object and json_schema answers only', () => {
    expect(healingShape(undefined)).toBeNull();
    expect(healingShape({ type: 'text' })).toBeNull();
    expect(healingShape({ type: 'json_object' })).toBe('object');
    expect(healingShape({ type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } })).toBe('object');
    expect(healingShape({ type: 'json_schema', json_schema: { name: 'x', schema: { type: 'array' } } })).toBe('array');
  });

  it('heals the content of a result, and nothing else', () => {
    const result = {
      message: { role: 'assistant' as const, content: '{"a": 1,}' },
      finishReason: 'stop' as const,
      nativeFinishReason: 'stop',
      usage: null,
    };
    expect(healResult(result, 'object').message.content).toBe('{"a": 1}');
    const fine = { ...result, message: { role: 'assistant' as const, content: '{"a": 1}' } };
    expect(healResult(fine, 'object')).toBe(fine);
    const toolCall = { ...result, message: { role: 'assistant' as const, content: null } };
    expect(healResult(toolCall, 'object')).toBe(toolCall);
  });
});
