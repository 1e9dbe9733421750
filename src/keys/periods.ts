/**
 * Spending periods, all in UTC: a day starts at midnight, a week on Monday, a month on the 1st.
 * Dates are `YYYY-MM-DD` strings, the form Postgres DATE columns compare with.
 */
export interface PeriodStarts {
  day: string;
  week: string;
  month: string;
}

export type LimitReset = 'daily' | 'weekly' | 'monthly';

const iso = (d: Date) => d.toISOString().slice(0, 10);

/** The last day asked about: every request asks (hold and settle), and the answer changes daily. */
let last: { dayNumber: number; starts: PeriodStarts } | null = null;

export function periodStarts(now: Date): PeriodStarts {
  const dayNumber = Math.floor(now.getTime() / 86_400_000);
  if (last?.dayNumber === dayNumber) return last.starts;
  const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const sinceMonday = (day.getUTCDay() + 6) % 7;
  const week = new Date(day.getTime() - sinceMonday * 86_400_000);
  const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const starts = Object.freeze({ day: iso(day), week: iso(week), month: iso(month) });
  last = { dayNumber, starts };
  return starts;
}

/** When the period that contains `now` ends (the next reset), for display. */
export function nextReset(reset: LimitReset, now: Date): Date {
  const p = periodStarts(now);
  if (reset === 'daily') return new Date(Date.parse(`${p.day}T00:00:00Z`) + 86_400_000);
  if (reset === 'weekly') return new Date(Date.parse(`${p.week}T00:00:00Z`) + 7 * 86_400_000);
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
}
