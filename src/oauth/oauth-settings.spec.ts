import { OAuthSettings } from './oauth-settings';
import { parseBasic } from './token.service';

describe('OAuthSettings', () => {
  it('codes live 60 s by default', () => {
    expect(new OAuthSettings().codeTtlSeconds).toBe(60);
  });
  it.each([1, 60, 600])('accepts a lifetime of %p s', (s) => {
    expect(new OAuthSettings({ codeTtlSeconds: s }).codeTtlSeconds).toBe(s);
  });
  it.each([0, -1, 601, 1.5, Number.NaN])('refuses a lifetime of %p s (at most 10 minutes)', (s) => {
    expect(() => new OAuthSettings({ codeTtlSeconds: s })).toThrow(RangeError);
  });
});

describe('parseBasic (RFC 6749 §2.3.1)', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  it.each([
    [`Basic ${b64('client:secret')}`, { id: 'client', secret: 'secret' }],
    [`basic ${b64('client:se:cret')}`, { id: 'client', secret: 'se:cret' }],
    [`Basic ${b64('a%3Ab+c:x%2By')}`, { id: 'a:b c', secret: 'x+y' }],
    [`Basic ${b64('client:')}`, { id: 'client', secret: '' }],
  ])('%s', (header, parsed) => {
    expect(parseBasic(header)).toEqual(parsed);
  });
  it.each([
    'Bearer abc',
    'Basic',
    'Basic !!!',
    `Basic ${b64('no-colon')}`,
    `Basic ${b64('%E0%A4%A:x')}`,
    `Basic ${'A'.repeat(2000)}`,
    `Basic ${b64('a%00b:x')}`,
    `Basic ${b64('a:%ED%A0%80')}`,
  ])('refuses %s', (header) => {
    expect(parseBasic(header)).toBeNull();
  });
});
