import { isAcceptableState, parseKeyLabel, parseLimitReset, parseLimitUsd, parseScope, STATE_MAX_LENGTH } from './authorization-params';

describe('authorization request parameters', () => {
  it.each([
    ['absent', undefined, true],
    ['empty', '', true],
    ['a typical random state', 'af0ifjsldkj-_.~', true],
    ['spaces and punctuation', 'a b{}"<>', true],
    ['exactly the cap', 'x'.repeat(STATE_MAX_LENGTH), true],
    ['one over the cap', 'x'.repeat(STATE_MAX_LENGTH + 1), false],
    ['10 KB', 'x'.repeat(10_240), false],
    ['a newline', 'a\nb', false],
    ['non-ASCII', 'caf\u00e9', false],
  ])('state %s -> %p', (_label, state, ok) => {
    expect(isAcceptableState(state)).toBe(ok);
  });

  it.each([
    [undefined, 'inference'],
    ['', 'inference'],
    ['inference', 'inference'],
    ['inference  inference', 'inference'],
    ['admin', null],
    ['inference openid', null],
  ])('scope %p -> %p', (scope, granted) => {
    expect(parseScope(scope)).toBe(granted);
  });

  it.each([
    [undefined, null],
    ['', null],
    ['  ', null],
    ['5', 5_000_000_000n],
    ['0.25', 250_000_000n],
    ['12.123456789', 12_123_456_789n],
    ['1000000', 1_000_000_000_000_000n],
    ['0', 'invalid'],
    ['-1', 'invalid'],
    ['1e3', 'invalid'],
    ['1000001', 'invalid'],
    ['0.1234567891', 'invalid'],
    ['abc', 'invalid'],
    ['1,5', 'invalid'],
  ])('limit %p -> %p', (raw, nanos) => {
    expect(parseLimitUsd(raw)).toBe(nanos);
  });

  it.each([
    [undefined, null],
    ['none', null],
    ['daily', 'daily'],
    ['weekly', 'weekly'],
    ['monthly', 'monthly'],
    ['yearly', 'invalid'],
  ])('limit reset %p -> %p', (raw, reset) => {
    expect(parseLimitReset(raw)).toBe(reset);
  });

  it('key labels are trimmed and capped', () => {
    expect(parseKeyLabel(' My CLI ')).toBe('My CLI');
    expect(parseKeyLabel(undefined)).toBeNull();
    expect(parseKeyLabel('x'.repeat(201))).toBe('invalid');
    expect(parseKeyLabel('a\u0000b')).toBe('invalid');
  });
});
