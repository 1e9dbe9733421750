import { sanitizeReturnTo } from './oidc-sign-in.service';

describe('sanitizeReturnTo', () => {
  it.each(['/', '/dashboard', '/keys?tab=new&x=1', '/a/b#frag', '/%2F%2Fevil.example', `/${'a'.repeat(1999)}`])(
    'keeps the relative path %s',
    (path) => {
      expect(sanitizeReturnTo(path)).toBe(path);
    },
  );

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
    ['too long', `/${'a'.repeat(2000)}`],
  ])('falls back to / for %s', (_label, value) => {
    expect(sanitizeReturnTo(value)).toBe('/');
  });
});
