import { isCodeVerifier, isS256Challenge, s256Challenge, verifyPkce } from './pkce';

// RFC 7636 Appendix B.
const RFC_VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const RFC_CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('PKCE', () => {
  it('computes the RFC 7636 S256 example', () => {
    expect(s256Challenge(RFC_VERIFIER)).toBe(RFC_CHALLENGE);
  });

  it.each([
    ['43 unreserved characters', 'a'.repeat(43), true],
    ['128 characters', 'A1-._~'.repeat(21) + 'ab', true],
    ['the RFC example', RFC_VERIFIER, true],
    ['42 characters', 'a'.repeat(42), false],
    ['129 characters', 'a'.repeat(129), false],
    ['a plus sign', `${'a'.repeat(42)}+`, false],
    ['a slash', `${'a'.repeat(42)}/`, false],
    ['padding', `${'a'.repeat(42)}=`, false],
    ['a space', `${'a'.repeat(42)} `, false],
    ['non-ASCII', `${'a'.repeat(42)}é`, false],
    ['not a string', 42, false],
    ['undefined', undefined, false],
  ])('code_verifier: %s -> %p', (_label, value, ok) => {
    expect(isCodeVerifier(value)).toBe(ok);
  });

  it.each([
    ['a SHA-256 in base64url', RFC_CHALLENGE, true],
    ['42 characters', RFC_CHALLENGE.slice(0, 42), false],
    ['44 characters', `${RFC_CHALLENGE}A`, false],
    ['with +', `${RFC_CHALLENGE.slice(0, 42)}+`, false],
    ['with /', `${RFC_CHALLENGE.slice(0, 42)}/`, false],
    ['with = padding', `${RFC_CHALLENGE.slice(0, 42)}=`, false],
    ['empty', '', false],
    ['an array', [RFC_CHALLENGE], false],
  ])('code_challenge: %s -> %p', (_label, value, ok) => {
    expect(isS256Challenge(value)).toBe(ok);
  });

  it.each([
    ['the matching verifier', { method: 'S256', challenge: RFC_CHALLENGE }, RFC_VERIFIER, true],
    ['another verifier', { method: 'S256', challenge: RFC_CHALLENGE }, 'x'.repeat(43), false],
    ['no verifier', { method: 'S256', challenge: RFC_CHALLENGE }, undefined, false],
    ['an empty verifier', { method: 'S256', challenge: RFC_CHALLENGE }, '', false],
    ['the challenge itself (plain)', { method: 'S256', challenge: RFC_CHALLENGE }, RFC_CHALLENGE, false],
    ['a stored plain method', { method: 'plain', challenge: RFC_VERIFIER }, RFC_VERIFIER, false],
    ['a malformed stored challenge', { method: 'S256', challenge: 'short' }, RFC_VERIFIER, false],
  ])('verifyPkce: %s -> %p', (_label, stored, verifier, ok) => {
    expect(verifyPkce(stored, verifier)).toBe(ok);
  });
});
