import { usdToNanos } from '../common/money/money';
import type { LimitReset } from '../keys/periods';

/**
 * Pure checks of authorization request parameters, shared by `/auth` and `/oauth/authorize`.
 */

/** Echoed verbatim in the redirect; capped so it cannot bloat the Location header (RFC 9700 §4.7). */
export const STATE_MAX_LENGTH = 1024;
/** What an issued key can do; the only scope, and the default. */
export const SCOPE_INFERENCE = 'inference';
export const SUPPORTED_SCOPES = [SCOPE_INFERENCE] as const;
/** Short enough to read at a glance on the consent page, where it names the key. */
export const KEY_LABEL_MAX_LENGTH = 64;
/** The largest spending limit a key may carry, as in the keys API. */
export const MAX_LIMIT_USD = 1_000_000;
export const LIMIT_RESETS: readonly LimitReset[] = ['daily', 'weekly', 'monthly'];

/** State: absent, or printable ASCII up to STATE_MAX_LENGTH (RFC 6749 VSCHAR). */
export function isAcceptableState(state: string | undefined): boolean {
  return state === undefined || (state.length <= STATE_MAX_LENGTH && /^[\x20-\x7e]*$/.test(state));
}

/** The granted scope string, or null when a requested scope is unknown. Absent means inference. */
export function parseScope(scope: string | undefined): string | null {
  const requested = (scope ?? '').split(' ').filter((s) => s !== '');
  if (requested.length === 0) return SCOPE_INFERENCE;
  return requested.every((s) => (SUPPORTED_SCOPES as readonly string[]).includes(s)) ? [...new Set(requested)].join(' ') : null;
}

/**
 * A spending limit in USD as typed in a form or query (`12.50`), as nanodollars; null for none
 * (absent or empty); 'invalid' for anything that is not a positive amount up to MAX_LIMIT_USD.
 */
export function parseLimitUsd(raw: string | undefined): bigint | null | 'invalid' {
  if (raw === undefined || raw.trim() === '') return null;
  const text = raw.trim();
  if (!/^\d{1,7}(\.\d{1,9})?$/.test(text)) return 'invalid';
  const nanos = usdToNanos(text);
  if (nanos <= 0n || nanos > usdToNanos(MAX_LIMIT_USD)) return 'invalid';
  return nanos;
}

export function parseLimitReset(raw: string | undefined): LimitReset | null | 'invalid' {
  if (raw === undefined || raw === '' || raw === 'none') return null;
  return (LIMIT_RESETS as readonly string[]).includes(raw) ? (raw as LimitReset) : 'invalid';
}

/**
 * Control, format (bidirectional overrides, zero-width joiners), private-use and unassigned
 * characters, and line separators: what can make a label read differently from what it is.
 */
const DECEPTIVE = /[\p{C}\p{Zl}\p{Zp}]/u;

/** A key label from `/auth`: trimmed, at most KEY_LABEL_MAX_LENGTH characters, no deceptive ones; null when absent. */
export function parseKeyLabel(raw: string | undefined): string | null | 'invalid' {
  if (raw === undefined || raw.trim() === '') return null;
  const label = raw.trim();
  if ([...label].length > KEY_LABEL_MAX_LENGTH || DECEPTIVE.test(label)) return 'invalid';
  return label;
}
