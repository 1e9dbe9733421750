import {
  callbackOrigin,
  HEADLESS_REDIRECT_URI,
  matchesAnyRegistered,
  redirectUriMatches,
  redirectUriProblem,
  withParams,
} from './redirect-uri';

describe('redirectUriProblem (registration and /auth callbacks)', () => {
  it.each([
    'https://app.example/cb',
    'https://app.example:8443/cb?x=1',
    'https://app.example',
    'http://127.0.0.1/cb',
    'http://127.0.0.1:51004/cb',
    'http://[::1]:8080/callback',
    'http://localhost:3000',
    'http://localhost:3000/oauth/callback?from=cli',
  ])('accepts %s', (uri) => {
    expect(redirectUriProblem(uri)).toBeNull();
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['not a string', ['https://app.example/cb']],
    ['relative', '/cb'],
    ['plain http', 'http://app.example/cb'],
    ['http on a loopback look-alike', 'http://127.0.0.1.evil.example/cb'],
    ['http on a private address', 'http://192.168.1.2/cb'],
    ['http on an alternative loopback spelling', 'http://0x7f000001/cb'],
    ['a fragment', 'https://app.example/cb#x'],
    ['user info', 'https://good.example@evil.example/cb'],
    ['user info on loopback', 'http://127.0.0.1:80@evil.example/cb'],
    ['a custom scheme', 'myapp://callback'],
    ['javascript', 'javascript:alert(1)'],
    ['data', 'data:text/html,hi'],
    ['a space', 'https://app.example/c b'],
    ['a newline', 'https://app.example/cb\r\nSet-Cookie: x=1'],
    ['a backslash', 'https:\\\\evil.example/cb'],
    ['non-ASCII', 'https://app.example/caf\u00e9'],
    ['too long', `https://app.example/${'a'.repeat(2000)}`],
    ['port 0 on loopback', 'http://127.0.0.1:0/cb'],
    ['port out of range on loopback', 'http://127.0.0.1:70000/cb'],
  ])('rejects %s', (_label, uri) => {
    expect(redirectUriProblem(uri)).not.toBeNull();
  });
});

describe('redirectUriMatches (negative matrix rows 3 and 4)', () => {
  const registered = 'https://app.example/cb';
  it.each([
    ['the registered URI itself', registered, true],
    ['not registered', 'https://other.example/cb', false],
    ['registered + extra path', 'https://app.example/cb/extra', false],
    ['registered + query', 'https://app.example/cb?x=1', false],
    ['registered + fragment', 'https://app.example/cb#x', false],
    ['different case in path', 'https://app.example/CB', false],
    ['different case in host', 'https://APP.example/cb', false],
    ['trailing slash', 'https://app.example/cb/', false],
    ['https -> http', 'http://app.example/cb', false],
    ['explicit default port', 'https://app.example:443/cb', false],
    ['userinfo trick', 'https://app.example@evil.example/cb', false],
    ['userinfo trick (reversed)', 'https://evil.example@app.example/cb', false],
    ['encoded dot-segments', 'https://app.example/cb/%2e%2e/evil', false],
    ['encoded dot-segments (upper case)', 'https://app.example/%2E%2E/cb', false],
    ['plain dot-segments', 'https://app.example/x/../cb', false],
    ['registered + random text', `${registered}XyZ`, false],
  ])('registered https: %s -> %p', (_label, requested, ok) => {
    expect(redirectUriMatches(registered, requested)).toBe(ok);
  });

  it.each([
    ['any port', 'http://127.0.0.1/cb', 'http://127.0.0.1:51004/cb', true],
    ['the registered form', 'http://127.0.0.1/cb', 'http://127.0.0.1/cb', true],
    ['another port than registered', 'http://127.0.0.1:3000/cb', 'http://127.0.0.1:51004/cb', true],
    ['IPv6 loopback, any port', 'http://[::1]/cb', 'http://[::1]:8080/cb', true],
    ['localhost, any port', 'http://localhost/cb', 'http://localhost:51004/cb', true],
    ['localhost for 127.0.0.1', 'http://127.0.0.1/cb', 'http://localhost:51004/cb', false],
    ['127.0.0.1 for localhost', 'http://localhost/cb', 'http://127.0.0.1:51004/cb', false],
    ['::1 for 127.0.0.1', 'http://127.0.0.1/cb', 'http://[::1]:51004/cb', false],
    ['another path', 'http://127.0.0.1/cb', 'http://127.0.0.1:51004/other', false],
    ['https instead of http', 'http://127.0.0.1/cb', 'https://127.0.0.1:51004/cb', false],
    ['extra path', 'http://127.0.0.1/cb', 'http://127.0.0.1:51004/cb/x', false],
    ['extra query', 'http://127.0.0.1/cb', 'http://127.0.0.1:51004/cb?x=1', false],
    ['a fragment', 'http://127.0.0.1/cb', 'http://127.0.0.1:51004/cb#x', false],
    ['port 0', 'http://127.0.0.1/cb', 'http://127.0.0.1:0/cb', false],
    ['userinfo after the port', 'http://127.0.0.1/cb', 'http://127.0.0.1:51004@evil.example/cb', false],
    ['a look-alike host', 'http://127.0.0.1/cb', 'http://127.0.0.1.evil.example:51004/cb', false],
  ])('registered loopback: %s', (_label, reg, requested, ok) => {
    expect(redirectUriMatches(reg, requested)).toBe(ok);
  });

  it('matches any of several registered URIs, and none of an empty list', () => {
    expect(matchesAnyRegistered(['https://a.example/cb', 'https://b.example/cb'], 'https://b.example/cb')).toBe(true);
    expect(matchesAnyRegistered([], 'https://b.example/cb')).toBe(false);
  });
});

describe('callback helpers', () => {
  it('an app is the origin of its callback', () => {
    expect(callbackOrigin('https://app.example/cb?x=1')).toBe('https://app.example');
    expect(callbackOrigin('http://localhost:3000/cb')).toBe('http://localhost:3000');
    expect(callbackOrigin('http://[::1]:8080/cb')).toBe('http://[::1]:8080');
  });

  it('appends response parameters and keeps the URI as registered', () => {
    expect(withParams('https://app.example/cb', { code: 'a b', state: undefined })).toBe('https://app.example/cb?code=a+b');
    expect(withParams('https://app.example/cb?x=%7E1', { code: 'c', state: 's' })).toBe('https://app.example/cb?x=%7E1&code=c&state=s');
    expect(withParams('https://app.example/cb?', { code: 'c' })).toBe('https://app.example/cb?code=c');
  });

  it('the out-of-band URI headless requests store can be neither registered nor sent as a callback', () => {
    expect(redirectUriProblem(HEADLESS_REDIRECT_URI)).not.toBeNull();
    expect(matchesAnyRegistered([HEADLESS_REDIRECT_URI], HEADLESS_REDIRECT_URI)).toBe(false);
  });
});
