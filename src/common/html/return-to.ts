/**
 * The longest return path kept: long enough for a full authorization request (state up to 1 KiB,
 * a redirect URI up to 2000) to continue after signing in, by password or through a provider.
 */
export const RETURN_TO_MAX_LENGTH = 8192;

/**
 * Where to send the browser after signing in: a path on this site, else `/`. Anything a browser could
 * read as another origin is refused: schemes, `//host`, backslashes (`/\host`), and control characters,
 * which browsers strip (`/\t/host`). Only printable ASCII is kept so the value is a safe Location header.
 */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > RETURN_TO_MAX_LENGTH) return '/';
  if (!value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return '/';
  if (!/^[\x21-\x7e]+$/.test(value)) return '/';
  return value;
}
