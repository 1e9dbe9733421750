/** NUL and unpaired UTF-16 surrogates: Postgres text and jsonb cannot hold them. */
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSTORABLE_ALL = new RegExp(UNSTORABLE.source, 'g');

/** Whether Postgres can store this text as it is. */
export function isStorableText(s: string): boolean {
  return !UNSTORABLE.test(s);
}

/**
 * Text as Postgres can store it: client-supplied strings may carry NUL or a lone surrogate, which
 * JSON escapes faithfully and jsonb then refuses. Each becomes U+FFFD, as a UTF-8 encoder would
 * write a lone surrogate anyway.
 */
export function storableText(s: string): string {
  return s.replace(UNSTORABLE_ALL, '\uFFFD');
}
