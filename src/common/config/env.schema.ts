import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, MaxLength, Min, MinLength, ValidateIf } from 'class-validator';

/**
 * Every environment variable Switchyard reads, with its default and rules.
 * Nothing else in the code base reads process.env: values reach the app through AppConfig.
 * The README's configuration table is checked against the `ENV_DOCS` list below by a unit test.
 */

const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value);
const toBool = ({ value }: { value: unknown }) => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return value;
};
const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

const POSTGRES_URL = /^postgres(ql)?:\/\/[^/]+\/[A-Za-z0-9_-]+(\?.*)?$/;
const REDIS_URL = /^rediss?:\/\/[^/]*(\/\d{1,2})?$/;

export class EnvVars {
  @IsIn(['development', 'production', 'test'])
  @Transform(trim)
  NODE_ENV = 'development';

  @IsString()
  @Transform(trim)
  HOST = '127.0.0.1';

  @IsInt()
  @Min(0)
  @Max(65535)
  @Transform(toInt)
  PORT = 8080;

  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  @Transform(trim)
  PUBLIC_URL?: string;

  @Matches(POSTGRES_URL, { message: 'must look like postgres://user[:password]@host[:port]/database' })
  @Transform(trim)
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/switchyard';

  @IsInt()
  @Min(1)
  @Max(500)
  @Transform(toInt)
  DATABASE_POOL_MAX = 20;

  @IsInt()
  @Min(100)
  @Max(60000)
  @Transform(toInt)
  DATABASE_POOL_WAIT_MS = 3000;

  @IsInt()
  @Min(100)
  @Max(600000)
  @Transform(toInt)
  DATABASE_QUERY_TIMEOUT_MS = 15000;

  @IsBoolean()
  @Transform(toBool)
  DATABASE_AUTO_CREATE = true;

  @IsBoolean()
  @Transform(toBool)
  MIGRATIONS_RUN = true;

  @Matches(REDIS_URL, { message: 'must look like redis://[user:password@]host[:port][/db]' })
  @Transform(trim)
  REDIS_URL = 'redis://127.0.0.1:6379';

  @Matches(/^[A-Za-z0-9_:.-]{1,64}$/, { message: 'must be 1-64 characters of A-Z a-z 0-9 _ : . -' })
  @Transform(trim)
  REDIS_KEY_PREFIX = 'sy';

  @IsInt()
  @Min(50)
  @Max(60000)
  @Transform(toInt)
  REDIS_COMMAND_TIMEOUT_MS = 500;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  @Transform(trim)
  LOG_LEVEL = 'info';

  @IsInt()
  @Min(1024)
  @Max(104857600)
  @Transform(toInt)
  BODY_LIMIT_BYTES = 10485760;

  @IsInt()
  @Min(1024)
  @Max(104857600)
  @Transform(toInt)
  BODY_LIMIT_SMALL_BYTES = 65536;

  @IsInt()
  @Min(0)
  @Max(600000)
  @Transform(toInt)
  SHUTDOWN_GRACE_MS = 30000;

  @IsBoolean()
  @Transform(toBool)
  WORKERS_ENABLED = true;

  @IsBoolean()
  @Transform(toBool)
  TRUST_PROXY = false;

  @IsBoolean()
  @Transform(toBool)
  SERVER_TIMING = false;

  @IsOptional()
  @Matches(/^[\x21-\x7e]{16,256}$/, { message: 'must be 16 to 256 printable ASCII characters' })
  @Transform(trim)
  METRICS_TOKEN?: string;

  @IsInt()
  @Min(1)
  @Max(8760)
  @Transform(toInt)
  SESSION_TTL_HOURS = 720;

  @IsInt()
  @Min(0)
  @Max(1000000)
  @Transform(toInt)
  RATE_LIMIT_KEY_RPM = 600;

  @IsInt()
  @Min(0)
  @Max(1000000)
  @Transform(toInt)
  SIGN_UPS_PER_ADDRESS_PER_HOUR = 10;

  @IsInt()
  @Min(0)
  @Max(100000)
  @Transform(toInt)
  KEY_MAX_CONCURRENT_REQUESTS = 256;

  @IsInt()
  @Min(0)
  @Max(100000)
  @Transform(toInt)
  USER_MAX_CONCURRENT_REQUESTS = 512;

  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  @Transform(trim)
  OIDC_ISSUER?: string;

  @ValidateIf((env: EnvVars) => !!env.OIDC_ISSUER)
  @IsString()
  @MinLength(1, { message: 'must be set when OIDC_ISSUER is set' })
  @Transform(trim)
  OIDC_CLIENT_ID?: string;

  @ValidateIf((env: EnvVars) => !!env.OIDC_ISSUER)
  @IsString()
  @MinLength(1, { message: 'must be set when OIDC_ISSUER is set' })
  @Transform(trim)
  OIDC_CLIENT_SECRET?: string;

  @IsString()
  @Transform(trim)
  OIDC_SCOPES = 'openid email profile';

  @IsString()
  @MaxLength(60)
  @Transform(trim)
  OIDC_DISPLAY_NAME = 'Single sign-on';

  @IsOptional()
  @Matches(/^smtps?:\/\/([^@/\s]+@)?[^/:@\s]+(:\d{1,5})?\/?(\?[^\s]*)?$/, {
    message: 'must look like smtp://[user:password@]host[:port] or smtps://…',
  })
  @Transform(trim)
  SMTP_URL?: string;

  @Matches(/^([^<>\r\n]{0,100} )?<?[^\s@<>]+@[^\s@<>]+>?$/, { message: 'must be an address, optionally with a name: Name <address@host>' })
  @Transform(trim)
  MAIL_FROM = 'Switchyard <no-reply@localhost>';

  @IsInt()
  @Min(1000)
  @Max(120000)
  @Transform(toInt)
  MAIL_TIMEOUT_MS = 10000;

  @IsOptional()
  @IsString()
  @MinLength(1)
  @Transform(trim)
  CATALOG_FILE?: string;

  @IsInt()
  @Min(100)
  @Max(120000)
  @Transform(toInt)
  UPSTREAM_CONNECT_TIMEOUT_MS = 5000;

  @IsInt()
  @Min(100)
  @Max(600000)
  @Transform(toInt)
  UPSTREAM_FIRST_BYTE_TIMEOUT_MS = 30000;

  @IsInt()
  @Min(100)
  @Max(600000)
  @Transform(toInt)
  UPSTREAM_NON_STREAMING_TIMEOUT_MS = 60000;

  @IsInt()
  @Min(100)
  @Max(600000)
  @Transform(toInt)
  UPSTREAM_FIRST_TOKEN_TIMEOUT_MS = 45000;

  @IsInt()
  @Min(1000)
  @Max(3600000)
  @Transform(toInt)
  UPSTREAM_REQUEST_BUDGET_MS = 90000;

  @IsInt()
  @Min(0)
  @Max(10)
  @Transform(toInt)
  UPSTREAM_RETRY_BUDGET = 2;

  @IsInt()
  @Min(0)
  @Max(600000)
  @Transform(toInt)
  UPSTREAM_RETRY_AFTER_MAX_MS = 10000;

  @IsInt()
  @Min(1)
  @Max(60000)
  @Transform(toInt)
  UPSTREAM_BACKOFF_BASE_MS = 500;

  @IsInt()
  @Min(1)
  @Max(600000)
  @Transform(toInt)
  UPSTREAM_BACKOFF_MAX_MS = 4000;

  @IsInt()
  @Min(100)
  @Max(3600000)
  @Transform(toInt)
  ROUTING_OUTAGE_WINDOW_MS = 10000;

  @IsInt()
  @Min(100)
  @Max(3600000)
  @Transform(toInt)
  ROUTING_OUTAGE_WINDOW_MAX_MS = 60000;

  @IsInt()
  @Min(100)
  @Max(600000)
  @Transform(toInt)
  UPSTREAM_IDLE_TIMEOUT_MS = 120000;

  @IsInt()
  @Min(0)
  @Max(600000)
  @Transform(toInt)
  UPSTREAM_DRAIN_TIMEOUT_MS = 60000;

  @IsInt()
  @Min(0)
  @Max(60000)
  @Transform(toInt)
  STREAM_PROCESSING_AFTER_MS = 1000;

  @IsInt()
  @Min(100)
  @Max(3600000)
  @Transform(toInt)
  STREAM_WRITE_STALL_MS = 30000;

  @IsInt()
  @Min(1000)
  @Max(86400000)
  @Transform(toInt)
  STREAM_MAX_DURATION_MS = 1800000;

  @IsInt()
  @Min(100)
  @Max(600000)
  @Transform(toInt)
  STREAM_IDLE_TIMEOUT_MS = 20000;

  @IsBoolean()
  @Transform(toBool)
  STREAM_CONTINUATION = true;

  @IsInt()
  @Min(1000)
  @Max(86400000)
  @Transform(toInt)
  HOLD_TTL_MS = 900000;

  @IsInt()
  @Min(1000)
  @Max(3600000)
  @Transform(toInt)
  HOLD_SWEEP_INTERVAL_MS = 60000;

  @IsOptional()
  @Matches(/^sk_(test|live)_[A-Za-z0-9_]+$|^rk_(test|live)_[A-Za-z0-9_]+$/, {
    message: 'must be a Stripe secret key (sk_test_… or sk_live_…)',
  })
  @Transform(trim)
  STRIPE_SECRET_KEY?: string;

  @ValidateIf((env: EnvVars) => !!env.STRIPE_SECRET_KEY)
  @Matches(/^whsec_[A-Za-z0-9_]+$/, { message: 'must be set to the webhook signing secret (whsec_…) when STRIPE_SECRET_KEY is set' })
  @Transform(trim)
  STRIPE_WEBHOOK_SECRET?: string;

  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  @Transform(trim)
  STRIPE_API_BASE?: string;

  @IsInt()
  @Min(0)
  @Max(5000)
  @Transform(toInt)
  TOPUP_FEE_BPS = 550;

  @IsInt()
  @Min(0)
  @Max(100000)
  @Transform(toInt)
  TOPUP_FEE_MIN_CENTS = 80;

  @IsInt()
  @Min(50)
  @Max(100000000)
  @Transform(toInt)
  TOPUP_MIN_CENTS = 500;

  @IsInt()
  @Min(50)
  @Max(100000000)
  @Transform(toInt)
  TOPUP_MAX_CENTS = 1000000;

  @IsInt()
  @Min(1)
  @Max(600)
  @Transform(toInt)
  OAUTH_CODE_TTL_SECONDS = 60;

  @IsInt()
  @Min(0)
  @Max(10000)
  @Transform(toInt)
  OAUTH_CONSENT_DELAY_MS = 1000;

  @IsInt()
  @Min(0)
  @Max(1000000)
  @Transform(toInt)
  OAUTH_DEFAULT_LIMIT_USD = 10;
}

/** One line of documentation per variable: the README table is generated from this list. */
export const ENV_DOCS: Record<keyof EnvVars, string> = {
  NODE_ENV: '`development`, `production` or `test`.',
  HOST: 'Interface the HTTP server binds to (`0.0.0.0` in containers).',
  PORT: 'HTTP port (`0` picks a free port).',
  PUBLIC_URL: 'Public base URL (OAuth issuer, links in pages). Default `http://localhost:<PORT>`.',
  DATABASE_URL: 'PostgreSQL connection URL. The database is created on start if it does not exist.',
  DATABASE_POOL_MAX: 'Connections in the pool of each process.',
  DATABASE_POOL_WAIT_MS:
    'Longest wait for a pool connection (or a new connection to Postgres); past it the request gets `503` with `Retry-After`.',
  DATABASE_QUERY_TIMEOUT_MS:
    'Client-side bound on every query (the server-side `statement_timeout` is 1 s shorter): a frozen or unreachable Postgres fails the request with `503` instead of hanging it.',
  DATABASE_AUTO_CREATE: 'Create the database on start when it is missing.',
  MIGRATIONS_RUN: 'Apply pending migrations on start (under an advisory lock, safe with many processes).',
  REDIS_URL: 'Redis URL, optionally with a database index (`redis://host:6379/2`).',
  REDIS_KEY_PREFIX: 'Prefix of every Redis key and Bull queue, so several deployments can share one Redis.',
  REDIS_COMMAND_TIMEOUT_MS:
    'Longest wait for a Redis command on a request path; past it the documented fallback applies (see Failure modes).',
  LOG_LEVEL: 'pino level: `fatal` … `trace`, or `silent`.',
  BODY_LIMIT_BYTES: 'Largest accepted request body; larger ones get 413.',
  BODY_LIMIT_SMALL_BYTES:
    'Largest body of every route other than inference (sign-up, sign-in, forms, OAuth, account APIs); larger ones get 413.',
  SHUTDOWN_GRACE_MS: 'On SIGTERM, how long in-flight requests may run before the process exits.',
  WORKERS_ENABLED: 'Run the queue processors in the HTTP process too (`false` when `src/worker.ts` runs separately).',
  TRUST_PROXY: 'Trust `X-Forwarded-*` headers from a reverse proxy.',
  SERVER_TIMING:
    'Answer inference requests with a `Server-Timing` header: where the gateway spent the time (before the handler, routing, hold, provider, response). It reveals internal timings, hence off by default.',
  METRICS_TOKEN:
    'Bearer token for `GET /metrics` and for the checks in `GET /health` (unset: `/metrics` is open, `/health` shows only its status).',
  SESSION_TTL_HOURS: 'Lifetime of a sign-in session (cookie `sy_session`; `Secure` when `PUBLIC_URL` is https).',
  RATE_LIMIT_KEY_RPM: 'Requests per minute per API key (`0` = no limit). `:free` models have their own fixed limits.',
  SIGN_UPS_PER_ADDRESS_PER_HOUR:
    "Accounts one client address may create per hour, by the API or the form (`0` = no limit). Behind a proxy, set `TRUST_PROXY` so the address is the client's.",
  KEY_MAX_CONCURRENT_REQUESTS:
    'Inference requests one API key may have in flight in one gateway process (`0` = no limit); more get 429 with `Retry-After`.',
  USER_MAX_CONCURRENT_REQUESTS:
    'Inference requests one user (all keys and apps) may have in flight in one gateway process (`0` = no limit); more get 429 with `Retry-After`.',
  OIDC_ISSUER: 'OpenID Connect issuer URL for "sign in with …" (unset = email and password only). http only for loopback issuers.',
  OIDC_CLIENT_ID: 'Client id registered at the OpenID provider (required with `OIDC_ISSUER`).',
  OIDC_CLIENT_SECRET: 'Client secret registered at the OpenID provider (required with `OIDC_ISSUER`).',
  OIDC_SCOPES: 'Scopes requested from the OpenID provider; must include `openid` and `email`.',
  OIDC_DISPLAY_NAME: 'Name of the OpenID provider on the sign-in page.',
  SMTP_URL:
    'SMTP server for account mail (address verification, password reset), e.g. `smtps://user:password@smtp.example.com:465`. Unset: no mail is sent; in `development` the links are written to the log instead.',
  MAIL_FROM: 'Sender of account mail.',
  MAIL_TIMEOUT_MS: 'Longest a mail may take to hand to the SMTP server (connection included); a slower send counts as failed.',
  CATALOG_FILE:
    'Path of the model catalog (YAML). Default: the catalog shipped in `src/catalog/default-catalog.yaml`. Provider API keys come from the variables it names (e.g. `OPENAI_API_KEY`).',
  UPSTREAM_CONNECT_TIMEOUT_MS: 'Time to connect to a provider before falling back to the next one.',
  UPSTREAM_FIRST_BYTE_TIMEOUT_MS:
    'Time for a provider to start answering a streamed request (its response headers) before the gateway gives up on it and falls back to the next endpoint.',
  UPSTREAM_NON_STREAMING_TIMEOUT_MS:
    'Time for a provider to start answering a non-streaming request before the gateway falls back. Providers send nothing until the whole answer is ready, so this bounds the generation time of a non-streaming answer: stream long generations, or raise it.',
  UPSTREAM_FIRST_TOKEN_TIMEOUT_MS:
    "Time from sending a streamed request to the provider's first output (content, reasoning or a tool call) before the gateway gives up on it and falls back.",
  UPSTREAM_REQUEST_BUDGET_MS:
    "Time budget of one request's calls before its first output: no retry or fallback starts after it, and each call's timeouts are cut to what is left of it.",
  UPSTREAM_RETRY_BUDGET:
    'Retries of the same endpoint one request may make in all (after a 500, a reset connection, a 429); `0` = fall back at once.',
  UPSTREAM_RETRY_AFTER_MAX_MS:
    'Longest provider `Retry-After` the gateway waits for before retrying the same endpoint; a longer one falls back instead (and is passed on when nothing is left).',
  UPSTREAM_BACKOFF_BASE_MS:
    'First backoff before retrying an endpoint that gave no `Retry-After`; it doubles per retry, with random jitter (half to all of it).',
  UPSTREAM_BACKOFF_MAX_MS: 'Longest backoff before a retry.',
  ROUTING_OUTAGE_WINDOW_MS:
    'How long an endpoint that failed (429, 5xx, timeout, connection failure) goes last in routing; then one request probes it (half-open). A failed probe doubles the window, a success closes it.',
  ROUTING_OUTAGE_WINDOW_MAX_MS:
    'Longest the outage window grows to for an endpoint whose probes keep failing: at most this long after a provider recovers, traffic returns to it.',
  UPSTREAM_IDLE_TIMEOUT_MS: 'Longest silence inside a provider response before it is treated as cut.',
  UPSTREAM_DRAIN_TIMEOUT_MS:
    "How long the gateway keeps reading a provider's answer after the client left, to learn what the provider bills for it. If it runs out before the usage is known, the request is billed its hold.",
  STREAM_PROCESSING_AFTER_MS:
    'A stream whose provider has not answered by then starts (HTTP 200) and sends `: PROCESSING` comments while it waits; earlier failures are plain HTTP errors.',
  STREAM_WRITE_STALL_MS:
    'A streaming client that reads nothing for this long (its socket buffer stays full) is disconnected; the provider call ends at once and what was read from it is billed.',
  STREAM_MAX_DURATION_MS:
    'Longest a stream may run; then it ends with an error chunk, the provider call ends and what was relayed is billed.',
  STREAM_IDLE_TIMEOUT_MS:
    "Longest silence between a provider's chunks once a stream's output reached the client; then the stream counts as stalled and continues from a fallback (see Fallbacks) or ends with an error chunk.",
  STREAM_CONTINUATION:
    'Whether a stream that fails after output reached the client continues from a fallback endpoint marked `prefill: true` (the default for requests that do not set `provider.allow_continuation`); `false` ends it with an error chunk.',
  HOLD_TTL_MS: 'A request hold with no sign of life for this long (its process died) is settled by the sweeper.',
  HOLD_SWEEP_INTERVAL_MS: 'How often the sweeper looks for such holds.',
  STRIPE_SECRET_KEY: 'Stripe secret key; unset = card top-ups disabled.',
  STRIPE_WEBHOOK_SECRET: 'Signing secret of the webhook endpoint `POST /api/v1/webhooks/stripe` (required with `STRIPE_SECRET_KEY`).',
  STRIPE_API_BASE: 'Another base URL for the Stripe API (a mock or proxy); default Stripe itself.',
  TOPUP_FEE_BPS: 'Top-up fee in basis points of the amount (550 = 5.5%), charged as a separate line item.',
  TOPUP_FEE_MIN_CENTS: 'Minimum top-up fee, in cents.',
  TOPUP_MIN_CENTS: 'Smallest top-up, in cents.',
  TOPUP_MAX_CENTS: 'Largest top-up, in cents.',
  OAUTH_CODE_TTL_SECONDS: 'Lifetime of an OAuth authorization code (at most 10 minutes).',
  OAUTH_CONSENT_DELAY_MS:
    'How long the consent page must have been shown before Approve is accepted (the button is armed after this long with the page focused; a quicker approval is refused).',
  OAUTH_DEFAULT_LIMIT_USD:
    'Spending limit the consent page proposes for an app key when the app asks for none (`0` = propose none). The user can change it.',
};
