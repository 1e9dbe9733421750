import { isIsoUtc, parseIsoUtc } from './iso-utc';

describe('parseIsoUtc', () => {
  it.each([
    ['2026-11-22T10:30Z', Date.UTC(2026, 10, 22, 10, 30)],
    ['2096-02-29T00:00:00Z', Date.UTC(2096, 1, 29)],
    ['2026-01-01T00:00:00.123456Z', Date.UTC(2026, 0, 1, 0, 0, 0, 123)],
  ])('reads %s', (text, ms) => {
    expect(parseIsoUtc(text)).toBe(ms);
  });

  it.each([
    '2026-13-45T99:99Z',
    '2099-02-30T00:00Z',
    '2097-02-29T00:00Z',
    '2026-04-31T00:00Z',
    '2026-00-10T00:00Z',
    '2026-01-00T00:00Z',
    '2026-01-01T24:00Z',
    '2026-01-01T12:60Z',
    '2026-01-01T12:00:60Z',
    '2026-01-01 12:00Z',
    '2026-01-01T12:00+01:00',
    '',
  ])('refuses %s', (text) => {
    expect(parseIsoUtc(text)).toBeNull();
    expect(isIsoUtc(text)).toBe(false);
  });
});
