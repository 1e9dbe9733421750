import { bucketStarts, csvCell } from './usage-pages';

describe('console page helpers', () => {
  it('buckets the last n hours, days or months in UTC, oldest first, the current one included', () => {
    const now = new Date('2026-03-01T05:30:00Z');
    expect(bucketStarts(now, 'hour', 3).map((d) => d.toISOString())).toEqual([
      '2026-03-01T03:00:00.000Z',
      '2026-03-01T04:00:00.000Z',
      '2026-03-01T05:00:00.000Z',
    ]);
    expect(bucketStarts(now, 'day', 2).map((d) => d.toISOString())).toEqual(['2026-02-28T00:00:00.000Z', '2026-03-01T00:00:00.000Z']);
    expect(bucketStarts(now, 'month', 3).map((d) => d.toISOString().slice(0, 7))).toEqual(['2026-01', '2026-02', '2026-03']);
  });

  it('writes CSV cells per RFC 4180 and defuses spreadsheet formulas', () => {
    expect(csvCell('test/chat')).toBe('test/chat');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('-0.5')).toBe('-0.5');
  });
});
