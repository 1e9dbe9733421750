/**
 * Redirect (callback) URIs: which may be registered or used, and when a requested one matches a
 * registered one. Matching is byte-for-byte, with one exception (RFC 8252 §7.3): an http loopback
 * URI matches on any port, with the same host literal, path and query. `localhost` counts as
 * loopback because the issue allows it, but never matches 127.0.0.1 or [::1] (hostname equality).
 */
export const MAX_REDIRECT_URI_LENGTH = 2000;

/**
 * What headless requests (`/auth` without a callback URL) store as their redirect URI: the
 * out-of-band URI of OAuth's installed-app flows, which no app can register or send as a
 * callback (redirectUriProblem refuses it), so nothing is ever redirected there.
 */
export const HEADLESS_REDIRECT_URI = 'urn:ietf:wg:oauth:2.0:oob';

const LOOPBACK = /^http:\/\/(127\.0\.0\.1|\[::1\]|localhost)(?::(\d{1,5}))?([/?][^#]*)?$/;
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;
/** Parameters of the authorization response (RFC 6749 §4.1.2, RFC 9207). */
const RESPONSE_PARAMS = ['code', 'state', 'error', 'error_description', 'error_uri', 'iss'];

interface LoopbackParts {
  host: string;
  rest: string;
}

function loopbackParts(uri: string): LoopbackParts | null {
  const m = LOOPBACK.exec(uri);
  if (!m) return null;
  if (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535)) return null;
  return { host: m[1], rest: m[3] ?? '' };
}

/**
 * Why a URI cannot be a redirect target, or null when it can: absolute https (or http on a
 * loopback host literal), no fragment, no user info, printable ASCII only.
 */
export function redirectUriProblem(raw: unknown): string | null {
  if (typeof raw !== 'string' || raw === '') return 'is missing';
  if (raw.length > MAX_REDIRECT_URI_LENGTH) return `is longer than ${MAX_REDIRECT_URI_LENGTH} characters`;
  if (!PRINTABLE_ASCII.test(raw) || raw.includes('\\'))
    return 'contains characters a URL may not (spaces, backslashes, control or non-ASCII)';
  if (raw.includes('#')) return 'must not contain a fragment';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not an absolute URL';
  }
  if (url.username || url.password) return 'must not contain user information';
  // The authorization response appends these; one already present would be read first by many apps.
  if (RESPONSE_PARAMS.some((p) => url.searchParams.has(p))) return `must not carry the response parameters ${RESPONSE_PARAMS.join(', ')}`;
  if (raw.startsWith('https://') && url.protocol === 'https:' && url.hostname) return null;
  if (raw.startsWith('http://') && loopbackParts(raw)) return null;
  return 'must use https (plain http only on 127.0.0.1, [::1] or localhost)';
}

/** Whether `requested` is `registered`, exactly, or the same loopback URI on another port. */
export function redirectUriMatches(registered: string, requested: string): boolean {
  if (redirectUriProblem(requested) !== null) return false;
  if (registered === requested) return true;
  const r = loopbackParts(registered);
  const q = loopbackParts(requested);
  return r !== null && q !== null && r.host === q.host && r.rest === q.rest;
}

export function matchesAnyRegistered(registered: readonly string[], requested: string): boolean {
  return registered.some((r) => redirectUriMatches(r, requested));
}

/** The origin an unregistered (OpenRouter-style) callback URL stands for: the app's identity. */
export function callbackOrigin(uri: string): string {
  return new URL(uri).origin;
}

/** Appends response parameters to a redirect URI without re-encoding what is already there. */
export function withParams(uri: string, params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.append(k, v);
  const query = q.toString();
  if (!query) return uri;
  return `${uri}${uri.includes('?') ? (uri.endsWith('?') || uri.endsWith('&') ? '' : '&') : '?'}${query}`;
}
