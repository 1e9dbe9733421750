import { legacyLogprobs } from './legacy-logprobs';

describe('legacyLogprobs', () => {
  it('lists the tokens, their log probabilities and the likeliest tokens at each position, the chosen one included', () => {
    const chat = {
      content: [
        { token: 'Hi', logprob: -0.1, bytes: [72, 105], top_logprobs: [{ token: 'Hello', logprob: -0.05, bytes: [] }] },
        { token: '!', logprob: -0.3, bytes: [33], top_logprobs: [] },
      ],
    };
    expect(legacyLogprobs(chat)).toEqual({
      tokens: ['Hi', '!'],
      token_logprobs: [-0.1, -0.3],
      top_logprobs: [{ Hello: -0.05, Hi: -0.1 }, { '!': -0.3 }],
    });
  });

  it('is null when the upstream sent no token log probabilities', () => {
    expect(legacyLogprobs(null)).toBeNull();
    expect(legacyLogprobs(undefined)).toBeNull();
    expect(legacyLogprobs({ refusal: [] })).toBeNull();
  });

  it('skips entries that are not token log probabilities', () => {
    expect(
      legacyLogprobs({ content: [{ token: 'a', logprob: -1, top_logprobs: [null, { token: 'b' }] }, { token: 2, logprob: -1 }, null] }),
    ).toEqual({
      tokens: ['a'],
      token_logprobs: [-1],
      top_logprobs: [{ a: -1 }],
    });
  });
});
