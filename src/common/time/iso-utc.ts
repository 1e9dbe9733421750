/**
 * Strict ISO 8601 UTC timestamps (`2026-11-22T10:30Z`, seconds and a fraction of up to 9 digits
 * optional). `Date.parse` accepts `2099-02-30` and quietly moves it to March, and Postgres refuses
 * month 13 with an error; both are the caller's mistake, so every field is range-checked here.
 */
const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?Z$/;

/** Milliseconds since the epoch, or null when the text is not a real UTC instant in that shape. */
export function parseIsoUtc(text: string): number | null {
  const m = ISO_UTC.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((v) => Number(v ?? 0));
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, Number((m[7] ?? '0').padEnd(3, '0').slice(0, 3)));
  // Date.UTC rolls day 30 of February over into March: a real date survives the round trip.
  const d = new Date(ms);
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return null;
  return ms;
}

export function isIsoUtc(text: unknown): boolean {
  return typeof text === 'string' && parseIsoUtc(text) !== null;
}
