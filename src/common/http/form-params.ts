/** Marks a parameter sent more than once (RFC 6749 §3.1: parameters must not be repeated). */
export const REPEATED = Symbol('repeated');

/**
 * One parameter of a parsed query or form (Fastify gives a repeated name as an array): its value,
 * undefined when absent, REPEATED when sent twice.
 */
export function single(params: unknown, name: string): string | undefined | typeof REPEATED {
  if (typeof params !== 'object' || params === null) return undefined;
  const v = (params as Record<string, unknown>)[name];
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  return REPEATED;
}
