import { createHash, timingSafeEqual } from 'node:crypto';

/** RFC 7636 §4.1: 43–128 characters from the unreserved set. */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
/** The shape of BASE64URL(SHA-256(...)) without padding: exactly 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** The only method we support: `plain` would let a stolen challenge redeem a stolen code. */
export const PKCE_METHOD = 'S256';

export function isCodeVerifier(value: unknown): value is string {
  return typeof value === 'string' && VERIFIER.test(value);
}

export function isS256Challenge(value: unknown): value is string {
  return typeof value === 'string' && S256_CHALLENGE.test(value);
}

/** BASE64URL(SHA256(ASCII(verifier))), RFC 7636 §4.2. */
export function s256Challenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/**
 * Checks a verifier against what was stored with the code (method and challenge), never against
 * what the token request claims. Constant time over equal-length buffers.
 */
export function verifyPkce(stored: { method: string; challenge: string }, verifier: unknown): boolean {
  if (stored.method !== PKCE_METHOD || !isS256Challenge(stored.challenge) || !isCodeVerifier(verifier)) return false;
  const expected = Buffer.from(stored.challenge, 'ascii');
  const actual = Buffer.from(s256Challenge(verifier), 'ascii');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
