import { providerRefusal, streamErrorStatus } from './error-status';

describe('streamErrorStatus', () => {
  it.each([
    ['overloaded_error', 529],
    ['rate_limit_error', 429],
    ['invalid_request_error', 400],
    ['RESOURCE_EXHAUSTED', 429],
    ['UNAVAILABLE', 503],
    ['rate_limit_exceeded', 429],
    ['429', 429],
    ['503', 503],
  ])('%s is %d', (code, status) => {
    expect(streamErrorStatus(code)).toBe(status);
  });

  it.each([undefined, '', 'something_new', '200', 'toString'])('%p is a bad gateway', (code) => {
    expect(streamErrorStatus(code)).toBe(502);
  });
});

describe('providerRefusal', () => {
  it.each([
    [400, { message: "This model's maximum context length is 8192 tokens", code: 'context_length_exceeded' }, 'context_length_exceeded'],
    [400, { message: 'prompt is too long: 210000 tokens > 200000 maximum', code: 'invalid_request_error' }, 'context_length_exceeded'],
    [
      400,
      { message: 'The input token count (40000) exceeds the maximum number of tokens allowed', code: 'INVALID_ARGUMENT' },
      'context_length_exceeded',
    ],
    [
      400,
      {
        message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy",
        code: 'content_filter',
      },
      'content_policy_violation',
    ],
    [
      400,
      { message: 'Your request was rejected as a result of our safety system', code: 'content_policy_violation' },
      'content_policy_violation',
    ],
    [400, { message: 'temperature must be at most 2', code: 'invalid_request_error' }, null],
    [500, { message: 'maximum context length', code: 'context_length_exceeded' }, null],
    [429, { message: 'Too many tokens per minute' }, null],
  ])('%s %j -> %s', (status, error, expected) => {
    expect(providerRefusal(status, error)).toBe(expected);
  });
});
