import pino from 'pino';

/**
 * What must never reach a log line, whatever object carried it there: the values of these keys are
 * replaced (pino's path redaction), and the text of every line is scrubbed of secret shapes.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  'headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.passwordHash',
  '*.password_hash',
  '*.key',
  '*.secret',
  '*.client_secret',
  '*.code_verifier',
  '*.token',
  '*.access_token',
  '*.tokenHash',
  // A failed query's bound values: the row being inserted (a password hash, a token hash).
  'err.parameters',
  'err.driverError.parameters',
  'parameters',
];

const REDACTED = '[redacted]';

/**
 * Secret shapes, replaced in the serialised line. The last line of defence for values logged under
 * a key no path names (an error message quoting a row, a URL): scrypt hashes, our API keys, SHA-256
 * hex digests (how keys, sessions and codes are stored and how keys are named in URLs), Stripe
 * secrets, and the values of credential-bearing query parameters. (Account mail links carry a
 * `token` parameter, left alone: in development without SMTP the log is how those links arrive;
 * request lines never carry a query string.)
 */
const SHAPES: [RegExp, string][] = [
  [/scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9_-]*\$[A-Za-z0-9_-]*/g, REDACTED],
  [/sk-sy-v1-[0-9a-f]{64}/g, `sk-sy-v1-${REDACTED}`],
  [/(?<![0-9a-fA-F])[0-9a-f]{64}(?![0-9a-fA-F])/g, REDACTED],
  [/\b(sk|rk)_(test|live)_[A-Za-z0-9]+/g, `$1_$2_${REDACTED}`],
  [/\bwhsec_[A-Za-z0-9]+/g, `whsec_${REDACTED}`],
  [/([?&](?:code|code_verifier|state|session_state|access_token|client_secret|password)=)[^&"\s\\]*/g, `$1${REDACTED}`],
];

export function scrubSecrets(line: string): string {
  let out = line;
  for (const [shape, replacement] of SHAPES) out = out.replace(shape, replacement);
  return out;
}

/** A request target without its query string: queries carry OAuth codes, states and tokens. */
export function pathOnly(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/**
 * Errors as pino writes them, minus what a database error drags along: TypeORM's QueryFailedError
 * carries the statement's bound parameters (and the driver error repeats them).
 */
export function serializeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const out = pino.stdSerializers.err(err) as unknown as Record<string, unknown>;
  delete out.parameters;
  delete out.query;
  if (out.driverError && typeof out.driverError === 'object') {
    const d = out.driverError as Record<string, unknown>;
    out.driverError = { code: d.code, message: d.message, routine: d.routine };
  }
  return out;
}
