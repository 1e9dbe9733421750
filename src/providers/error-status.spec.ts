import { streamErrorStatus } from './error-status';

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
