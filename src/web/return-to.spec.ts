import { RETURN_TO_MAX_LENGTH, safeReturnTo } from './return-to';

describe('safeReturnTo', () => {
  it.each(['/', '/auth?callback_url=https%3A%2F%2Fapp.example%2Fcb&code_challenge=x', '/oauth/authorize?client_id=a&state=%20x', `/${'a'.repeat(RETURN_TO_MAX_LENGTH - 1)}`])(
    'keeps %s',
    (path) => {
      expect(safeReturnTo(path)).toBe(path);
    },
  );

  it.each([
    ['undefined', undefined],
    ['an array', ['/a']],
    ['empty', ''],
    ['absolute', 'https://evil.example/'],
    ['scheme-relative', '//evil.example/'],
    ['backslash', '/\\evil.example'],
    ['no leading slash', 'auth'],
    ['javascript', 'javascript:alert(1)'],
    ['newline', '/a\r\nSet-Cookie: x=1'],
    ['tab', '/\t/evil.example'],
    ['space', '/a b'],
    ['non-ASCII', '/caf\u00e9'],
    ['too long', `/${'a'.repeat(RETURN_TO_MAX_LENGTH)}`],
  ])('falls back to / for %s', (_label, value) => {
    expect(safeReturnTo(value)).toBe('/');
  });
});
