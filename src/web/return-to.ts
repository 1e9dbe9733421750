/** Long enough for a full authorization request (state up to 1 KiB, a redirect URI up to 2000). */
export const RETURN_TO_MAX_LENGTH = 8192;

/**
 * Where to go after signing in: a path on this site only. Anything that a browser could read as
 * another origin (`//x`, `/\x`, schemes), or that could split a header, falls back to `/`.
 */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > RETURN_TO_MAX_LENGTH) return '/';
  if (!value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return '/';
  if (!/^[\x21-\x7e]+$/.test(value)) return '/';
  return value;
}
