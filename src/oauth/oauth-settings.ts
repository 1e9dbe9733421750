/**
 * Tunables of the authorization server. Built with defaults for now; when the config schema grows
 * `OAUTH_CODE_TTL_SECONDS` (1–600), the module's factory passes it here and nothing else changes.
 */
export class OAuthSettings {
  /** RFC 6749 §4.1.2 recommends at most 10 minutes; the user is done with the browser by then. */
  static readonly DEFAULT_CODE_TTL_SECONDS = 300;
  static readonly MAX_CODE_TTL_SECONDS = 600;

  readonly codeTtlSeconds: number;
  /** How long a consent page may wait for the user's decision. */
  readonly requestTtlSeconds: number;

  constructor(values: { codeTtlSeconds?: number; requestTtlSeconds?: number } = {}) {
    const ttl = values.codeTtlSeconds ?? OAuthSettings.DEFAULT_CODE_TTL_SECONDS;
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > OAuthSettings.MAX_CODE_TTL_SECONDS) {
      throw new RangeError(`OAuth code lifetime must be 1-${OAuthSettings.MAX_CODE_TTL_SECONDS} seconds, got ${ttl}`);
    }
    this.codeTtlSeconds = ttl;
    this.requestTtlSeconds = values.requestTtlSeconds ?? 600;
  }
}
