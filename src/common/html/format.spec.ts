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
    expect([format.journal('settle'), format.journal('topup'), format.journal('lease')]).toEqual([
      'Request: settled',
      'Card top-up',
      'lease',
    ]);
  });
});
