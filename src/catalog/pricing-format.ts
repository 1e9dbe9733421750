/**
 * OpenRouter's pricing strings are USD per token (per unit for request and image) as decimal
 * strings; the catalog keeps integer nanodollars per million tokens. The conversions are exact:
 * bigint and string arithmetic only, never a float.
 */

/** nanodollars per million tokens -> USD per token has 9 + 6 decimal places. */
const PER_TOKEN_SCALE = 15;
/** nanodollars per unit -> USD per unit. */
const PER_UNIT_SCALE = 9;

/** `value / 10^scale` as the shortest exact decimal string (`"0"`, `"0.0000025"`, `"12.5"`). */
function toDecimal(value: bigint, scale: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const frac = digits.slice(digits.length - scale).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`;
}

/** A non-negative decimal string to `value * 10^scale`; refuses what would need rounding. */
function fromDecimal(text: string, scale: number): bigint {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!m) throw new RangeError(`not a non-negative decimal: ${JSON.stringify(text)}`);
  const frac = (m[2] ?? '').replace(/0+$/, '');
  if (frac.length > scale) throw new RangeError(`more precise than 1e-${scale}: ${JSON.stringify(text)}`);
  return BigInt(m[1]) * 10n ** BigInt(scale) + BigInt(frac.padEnd(scale, '0') || '0');
}

/** 2_500_000_000n (nanodollars per million tokens, i.e. $2.50/M) -> `"0.0000025"`. */
export function perMillionToUsdPerToken(nanosPerMillion: bigint): string {
  return toDecimal(nanosPerMillion, PER_TOKEN_SCALE);
}

/** `"0.0000025"` (USD per token) -> 2_500_000_000n nanodollars per million tokens. */
export function usdPerTokenToPerMillion(usdPerToken: string): bigint {
  return fromDecimal(usdPerToken, PER_TOKEN_SCALE);
}

/** Per-request and per-image prices: 1_000_000n nanodollars -> `"0.001"`. */
export function nanosToUsdString(nanos: bigint): string {
  return toDecimal(nanos, PER_UNIT_SCALE);
}

/** `"0.001"` USD -> 1_000_000n nanodollars. */
export function usdStringToNanos(usd: string): bigint {
  return fromDecimal(usd, PER_UNIT_SCALE);
}
