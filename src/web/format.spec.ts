import { bucketStarts, csvCell } from './console.service';
import { format } from './format';

describe('console display helpers', () => {
  it('shows USD with cents, keeps sub-cent digits, and never rounds a spend away', () => {
    expect(format.usd(0)).toBe('$0.00');
    expect(format.usd(1234.5)).toBe('$1,234.50');
    expect(format.usd(24.999986)).toBe('$24.999986');
    expect(format.usd(0.000014)).toBe('$0.000014');
    expect(format.usd(0.000000001)).toBe('$0.000000001');
    expect(format.usd(-5)).toBe('−$5.00');
  });

  it('names ledger journals in words, and shows unknown kinds as they are', () => {
    expect([format.journal('settle'), format.journal('topup'), format.journal('lease')]).toEqual(['Request: settled', 'Card top-up', 'lease']);
  });

  it('buckets the last n hours, days or months in UTC, oldest first, the current one included', () => {
    const now = new Date('2026-03-01T05:30:00Z');
    expect(bucketStarts(now, 'hour', 3).map((d) => d.toISOString())).toEqual(['2026-03-01T03:00:00.000Z', '2026-03-01T04:00:00.000Z', '2026-03-01T05:00:00.000Z']);
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
