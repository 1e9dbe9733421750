/** Tunables of the authorization server; the module's factory fills them from `OAUTH_CODE_TTL_SECONDS`. */
export class OAuthSettings {
  /**
   * reliability-security.md §1.2: 60 s. The client redeems the code right after the redirect, and a
   * short life narrows the window for a leaked code. RFC 6749 §4.1.2's 10 minutes is the ceiling.
   */
  static readonly DEFAULT_CODE_TTL_SECONDS = 60;
  static readonly MAX_CODE_TTL_SECONDS = 600;

  readonly codeTtlSeconds: number;
  /** How long a consent page may wait for the user's decision. */
  readonly requestTtlSeconds: number;

  /**
   * How long the consent page must have been shown before Approve counts: a page opened under the
   * user's cursor (click-jacking through a popup, a double click carried over) is not consent.
   */
  readonly consentDelayMs: number;
  /** The spending limit the consent page proposes when the app asks for none; null for none. */
  readonly defaultLimitNanos: bigint | null;

  constructor(
    values: { codeTtlSeconds?: number; requestTtlSeconds?: number; consentDelayMs?: number; defaultLimitNanos?: bigint | null } = {},
  ) {
    const ttl = values.codeTtlSeconds ?? OAuthSettings.DEFAULT_CODE_TTL_SECONDS;
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > OAuthSettings.MAX_CODE_TTL_SECONDS) {
      throw new RangeError(`OAuth code lifetime must be 1-${OAuthSettings.MAX_CODE_TTL_SECONDS} seconds, got ${ttl}`);
    }
    this.codeTtlSeconds = ttl;
    this.requestTtlSeconds = values.requestTtlSeconds ?? 600;
    this.consentDelayMs = values.consentDelayMs ?? 1000;
    this.defaultLimitNanos = values.defaultLimitNanos ?? null;
  }
}
