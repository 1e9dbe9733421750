import { nextReset, periodStarts } from './periods';

describe('periodStarts (UTC)', () => {
  it.each([
    ['2026-11-21T13:00:00Z', '2026-11-21', '2026-11-16', '2026-11-01'], // Saturday
    ['2026-11-22T23:59:59.999Z', '2026-11-22', '2026-11-16', '2026-11-01'], // Sunday, last ms of the week
    ['2026-11-23T00:00:00Z', '2026-11-23', '2026-11-23', '2026-11-01'], // Monday: a new week
    ['2026-12-01T00:00:00Z', '2026-12-01', '2026-11-30', '2026-12-01'], // a month starting mid-week
    ['2027-01-01T00:00:00Z', '2027-01-01', '2026-12-28', '2027-01-01'], // a week across the new year
    ['2028-02-29T12:00:00Z', '2028-02-29', '2028-02-28', '2028-02-01'], // leap day
  ])('%s -> day %s, week %s, month %s', (now, day, week, month) => {
    expect(periodStarts(new Date(now))).toEqual({ day, week, month });
  });

  it('answers from the last day asked about until the day changes', () => {
    expect(periodStarts(new Date('2026-11-29T00:00:00Z')).week).toBe('2026-11-23');
    expect(periodStarts(new Date('2026-11-29T23:59:59.999Z')).week).toBe('2026-11-23');
    expect(periodStarts(new Date('2026-11-30T00:00:00Z'))).toEqual({ day: '2026-11-30', week: '2026-11-30', month: '2026-11-01' });
    expect(periodStarts(new Date('2026-11-29T12:00:00Z')).day).toBe('2026-11-29'); // and back
  });

  it('ignores the process time zone', () => {
    const d = new Date('2026-11-23T00:30:00Z'); // still Sunday in America
    expect(periodStarts(d).day).toBe('2026-11-23');
  });

  it('next resets', () => {
    const now = new Date('2026-11-21T13:00:00Z');
    expect(nextReset('daily', now).toISOString()).toBe('2026-11-22T00:00:00.000Z');
    expect(nextReset('weekly', now).toISOString()).toBe('2026-11-23T00:00:00.000Z');
    expect(nextReset('monthly', now).toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(nextReset('monthly', new Date('2026-12-31T23:00:00Z')).toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });
});
