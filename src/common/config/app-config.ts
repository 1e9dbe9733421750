import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { ENV_DOCS, EnvVars } from './env.schema';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * The validated, typed configuration. Injected wherever configuration is needed; built once per
 * process by `loadConfig` from the environment (or from explicit values in tests).
 */
export class AppConfig {
  readonly env: EnvVars['NODE_ENV'];
  readonly http: {
    host: string;
    port: number;
    publicUrl: string;
    bodyLimitBytes: number;
    smallBodyLimitBytes: number;
    trustProxy: boolean;
    shutdownGraceMs: number;
    serverTiming: boolean;
  };
  readonly database: {
    url: string;
    poolMax: number;
    poolWaitMs: number;
    queryTimeoutMs: number;
    autoCreate: boolean;
    migrationsRun: boolean;
  };
  readonly redis: { url: string; keyPrefix: string; commandTimeoutMs: number };
  readonly log: { level: string };
  readonly workers: { enabled: boolean };
  /** Bearer token for the operator endpoints (metrics, health details); null when unset. */
  readonly ops: { token: string | null };
  readonly sessions: { ttlMs: number; secureCookie: boolean };
  readonly rateLimits: { keyRpm: number; signUpsPerAddressPerHour: number; keyConcurrent: number; userConcurrent: number };
  readonly catalog: { file: string | null };
  readonly mail: { smtpUrl: string | null; from: string; timeoutMs: number };
  readonly upstream: {
    connectTimeoutMs: number;
    firstByteTimeoutMs: number;
    nonStreamingTimeoutMs: number;
    firstTokenTimeoutMs: number;
    idleTimeoutMs: number;
    processingAfterMs: number;
    drainTimeoutMs: number;
    writeStallMs: number;
    maxStreamMs: number;
    /** Longest silence between chunks once a stream's output reached the client. */
    streamIdleMs: number;
    /** Default of provider.allow_continuation. */
    continuation: boolean;
  };
  /** How a request retries and falls back before its first output (see README, Fallbacks). */
  readonly retry: { budgetMs: number; retries: number; retryAfterMaxMs: number; backoffBaseMs: number; backoffMaxMs: number };
  /** The circuit breaker of endpoint health: the outage window and how far it grows. */
  readonly outage: { windowMs: number; maxWindowMs: number };
  readonly holds: { ttlMs: number; sweepIntervalMs: number };
  readonly stripe: { secretKey: string; webhookSecret: string; apiBase: string | null } | null;
  readonly topups: { feeBps: number; feeMinCents: number; minCents: number; maxCents: number };
  readonly oauth: { codeTtlSeconds: number; consentDelayMs: number; defaultLimitUsd: number };
  readonly oidc: { issuer: string; clientId: string; clientSecret: string; scopes: string; displayName: string } | null;

  /**
   * @param secrets variables outside the schema that the app may still read by name: the provider
   *   API keys that the catalog names (see `providerKey`).
   */
  constructor(
    vars: EnvVars,
    private readonly secrets: Record<string, string | undefined> = {},
  ) {
    this.env = vars.NODE_ENV;
    this.http = {
      host: vars.HOST,
      port: vars.PORT,
      publicUrl: (vars.PUBLIC_URL ?? `http://localhost:${vars.PORT}`).replace(/\/+$/, ''),
      bodyLimitBytes: vars.BODY_LIMIT_BYTES,
      smallBodyLimitBytes: vars.BODY_LIMIT_SMALL_BYTES,
      trustProxy: vars.TRUST_PROXY,
      shutdownGraceMs: vars.SHUTDOWN_GRACE_MS,
      serverTiming: vars.SERVER_TIMING,
    };
    this.database = {
      url: vars.DATABASE_URL,
      poolMax: vars.DATABASE_POOL_MAX,
      poolWaitMs: vars.DATABASE_POOL_WAIT_MS,
      queryTimeoutMs: vars.DATABASE_QUERY_TIMEOUT_MS,
      autoCreate: vars.DATABASE_AUTO_CREATE,
      migrationsRun: vars.MIGRATIONS_RUN,
    };
    this.redis = { url: vars.REDIS_URL, keyPrefix: vars.REDIS_KEY_PREFIX, commandTimeoutMs: vars.REDIS_COMMAND_TIMEOUT_MS };
    this.log = { level: vars.LOG_LEVEL };
    this.workers = { enabled: vars.WORKERS_ENABLED };
    this.ops = { token: vars.METRICS_TOKEN ?? null };
    this.sessions = { ttlMs: vars.SESSION_TTL_HOURS * 3_600_000, secureCookie: this.http.publicUrl.startsWith('https:') };
    this.rateLimits = {
      keyRpm: vars.RATE_LIMIT_KEY_RPM,
      signUpsPerAddressPerHour: vars.SIGN_UPS_PER_ADDRESS_PER_HOUR,
      keyConcurrent: vars.KEY_MAX_CONCURRENT_REQUESTS,
      userConcurrent: vars.USER_MAX_CONCURRENT_REQUESTS,
    };
    this.catalog = { file: vars.CATALOG_FILE ?? null };
    this.mail = { smtpUrl: vars.SMTP_URL ?? null, from: vars.MAIL_FROM, timeoutMs: vars.MAIL_TIMEOUT_MS };
    this.upstream = {
      connectTimeoutMs: vars.UPSTREAM_CONNECT_TIMEOUT_MS,
      firstByteTimeoutMs: vars.UPSTREAM_FIRST_BYTE_TIMEOUT_MS,
      nonStreamingTimeoutMs: vars.UPSTREAM_NON_STREAMING_TIMEOUT_MS,
      firstTokenTimeoutMs: vars.UPSTREAM_FIRST_TOKEN_TIMEOUT_MS,
      idleTimeoutMs: vars.UPSTREAM_IDLE_TIMEOUT_MS,
      drainTimeoutMs: vars.UPSTREAM_DRAIN_TIMEOUT_MS,
      processingAfterMs: vars.STREAM_PROCESSING_AFTER_MS,
      writeStallMs: vars.STREAM_WRITE_STALL_MS,
      maxStreamMs: vars.STREAM_MAX_DURATION_MS,
      streamIdleMs: vars.STREAM_IDLE_TIMEOUT_MS,
      continuation: vars.STREAM_CONTINUATION,
    };
    this.retry = {
      budgetMs: vars.UPSTREAM_REQUEST_BUDGET_MS,
      retries: vars.UPSTREAM_RETRY_BUDGET,
      retryAfterMaxMs: vars.UPSTREAM_RETRY_AFTER_MAX_MS,
      backoffBaseMs: vars.UPSTREAM_BACKOFF_BASE_MS,
      backoffMaxMs: Math.max(vars.UPSTREAM_BACKOFF_MAX_MS, vars.UPSTREAM_BACKOFF_BASE_MS),
    };
    this.outage = {
      windowMs: vars.ROUTING_OUTAGE_WINDOW_MS,
      maxWindowMs: Math.max(vars.ROUTING_OUTAGE_WINDOW_MAX_MS, vars.ROUTING_OUTAGE_WINDOW_MS),
    };
    this.holds = { ttlMs: vars.HOLD_TTL_MS, sweepIntervalMs: vars.HOLD_SWEEP_INTERVAL_MS };
    this.stripe = vars.STRIPE_SECRET_KEY
      ? { secretKey: vars.STRIPE_SECRET_KEY, webhookSecret: vars.STRIPE_WEBHOOK_SECRET ?? '', apiBase: vars.STRIPE_API_BASE ?? null }
      : null;
    this.topups = {
      feeBps: vars.TOPUP_FEE_BPS,
      feeMinCents: vars.TOPUP_FEE_MIN_CENTS,
      minCents: vars.TOPUP_MIN_CENTS,
      maxCents: vars.TOPUP_MAX_CENTS,
    };
    this.oauth = {
      codeTtlSeconds: vars.OAUTH_CODE_TTL_SECONDS,
      consentDelayMs: vars.OAUTH_CONSENT_DELAY_MS,
      defaultLimitUsd: vars.OAUTH_DEFAULT_LIMIT_USD,
    };
    this.oidc = vars.OIDC_ISSUER
      ? {
          issuer: vars.OIDC_ISSUER,
          clientId: vars.OIDC_CLIENT_ID ?? '',
          clientSecret: vars.OIDC_CLIENT_SECRET ?? '',
          scopes: vars.OIDC_SCOPES,
          displayName: vars.OIDC_DISPLAY_NAME,
        }
      : null;
  }

  /** A provider's API key from the variable the catalog names; null when unset or empty. */
  providerKey(envName: string): string | null {
    if (!/^[A-Z][A-Z0-9_]*$/.test(envName)) return null;
    const value = this.secrets[envName]?.trim();
    return value ? value : null;
  }

  /** Configuration with secrets masked, for `cli check` and start-up logs. */
  redacted(): Record<string, unknown> {
    const mask = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
    return {
      env: this.env,
      http: this.http,
      database: { ...this.database, url: mask(this.database.url) },
      redis: { ...this.redis, url: mask(this.redis.url) },
      log: this.log,
      workers: this.workers,
      ops: { token: this.ops.token ? '***' : null },
      sessions: this.sessions,
      rateLimits: this.rateLimits,
      catalog: this.catalog,
      mail: { ...this.mail, smtpUrl: this.mail.smtpUrl ? mask(this.mail.smtpUrl) : null },
      holds: this.holds,
      stripe: this.stripe ? { ...this.stripe, secretKey: '***', webhookSecret: '***' } : null,
      topups: this.topups,
      oauth: this.oauth,
      upstream: this.upstream,
      retry: this.retry,
      outage: this.outage,
      oidc: this.oidc ? { ...this.oidc, clientSecret: '***' } : null,
    };
  }
}

const describe = (error: ValidationError, raw: Record<string, unknown>): string => {
  const reasons = Object.values(error.constraints ?? {}).map((m) => m.replace(`${error.property} `, ''));
  const got = raw[error.property];
  return `${error.property} ${reasons.join(', ')} (got ${JSON.stringify(got)})`;
};

/**
 * Validates the given environment. Unknown variables are ignored; empty strings count as unset so
 * that `FOO=` in a compose file falls back to the default.
 */
export function loadConfig(source: Record<string, string | undefined>): AppConfig {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(ENV_DOCS)) {
    const value = source[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const vars = plainToInstance(EnvVars, raw, { exposeDefaultValues: true });
  const errors = validateSync(vars, { whitelist: false, forbidUnknownValues: true });
  if (errors.length > 0) throw new ConfigError(errors.map((e) => describe(e, raw)));
  return new AppConfig(vars, source);
}
