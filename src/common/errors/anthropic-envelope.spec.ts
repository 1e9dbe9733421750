import { anthropicErrorType, toAnthropicEnvelope } from './anthropic-envelope';

describe("Anthropic's error envelope", () => {
  it.each([
    [400, 'invalid_request_error'],
    [401, 'authentication_error'],
    [402, 'permission_error'],
    [403, 'permission_error'],
    [404, 'not_found_error'],
    [408, 'invalid_request_error'],
    [413, 'request_too_large'],
    [429, 'rate_limit_error'],
    [500, 'api_error'],
    [502, 'api_error'],
    [503, 'overloaded_error'],
    [504, 'api_error'],
  ])('%d -> %s', (status, type) => {
    expect(anthropicErrorType(status)).toBe(type);
  });

  it('is {type: "error", error: {type, message}}', () => {
    expect(toAnthropicEnvelope({ status: 401, message: 'Invalid API key' })).toEqual({
      type: 'error',
      error: { type: 'authentication_error', message: 'Invalid API key' },
    });
  });
});
