import { RETURN_TO_MAX_LENGTH, safeReturnTo } from './return-to';

describe('safeReturnTo', () => {
  it.each([
    '/',
    '/dashboard',
    '/keys?tab=new&x=1',
    '/a/b#frag',
    '/%2F%2Fevil.example',
    '/auth?callback_url=https%3A%2F%2Fapp.example%2Fcb&code_challenge=x',
    '/oauth/authorize?client_id=a&state=%20x',
    `/${'a'.repeat(1999)}`,
    `/${'a'.repeat(RETURN_TO_MAX_LENGTH - 1)}`,
  ])('keeps the relative path %s', (path) => {
    expect(safeReturnTo(path)).toBe(path);
  });

  it.each([
    ['undefined', undefined],
    ['a number', 42],
    ['an array', ['/a']],
    ['empty', ''],
    ['absolute URL', 'https://evil.example/'],
    ['scheme-relative', '//evil.example/'],
    ['scheme-relative after slash and backslash', '/\\evil.example'],
    ['backslash anywhere', '/a\\b'],
    ['no leading slash', 'dashboard'],
    ['javascript URL', 'javascript:alert(1)'],
    ['tab that browsers strip', '/\t/evil.example'],
    ['newline (header injection)', '/a\r\nSet-Cookie: x=1'],
    ['space', '/a b'],
    ['non-ASCII', '/caf\u00e9'],
    ['too long', `/${'a'.repeat(RETURN_TO_MAX_LENGTH)}`],
  ])('falls back to / for %s', (_label, value) => {
    expect(safeReturnTo(value)).toBe('/');
  });
});
