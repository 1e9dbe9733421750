import { resolveReasoning } from './reasoning';
import type { ChatRequest } from './types';

const resolve = (fields: Partial<ChatRequest>) => resolveReasoning({ messages: [], max_tokens: 1000, ...fields });

describe('resolveReasoning', () => {
  it.each<[Partial<ChatRequest>, ReturnType<typeof resolveReasoning>]>([
    [{}, { enabled: undefined, exclude: false }],
    [{ reasoning: { exclude: true } }, { enabled: undefined, exclude: true }],
    [{ reasoning_effort: 'high' }, { enabled: true, effort: 'high', exclude: false }],
    [
      { reasoning: { effort: 'low' }, reasoning_effort: 'high' },
      { enabled: true, effort: 'low', exclude: false },
    ],
    [{ reasoning: { max_tokens: 2000 } }, { enabled: true, maxTokens: 2000, exclude: false }],
    [{ reasoning: { enabled: true, exclude: true } }, { enabled: true, exclude: true }],
    [
      { reasoning: { enabled: false }, reasoning_effort: 'high' },
      { enabled: false, exclude: false },
    ],
    [{ reasoning_effort: 'none' }, { enabled: false, effort: 'none', exclude: false }],
    [{ include_reasoning: true }, { enabled: true, exclude: false }],
    [
      { include_reasoning: false, reasoning_effort: 'medium' },
      { enabled: true, effort: 'medium', exclude: true },
    ],
  ])('%j -> %j', (fields, expected) => {
    expect(resolve(fields)).toEqual(expected);
  });
});
