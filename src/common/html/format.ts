/**
 * Display formatting for the console's templates: USD amounts (numbers from the services' DTOs,
 * already exact to the nanodollar), counts and UTC times. Display only; nothing is computed here.
 */
const grouped = new Intl.NumberFormat('en-US');

const JOURNAL_KINDS: Record<string, string> = {
  topup: 'Card top-up',
  grant: 'Credit granted',
  hold: 'Request: amount held',
  settle: 'Request: settled',
  refund: 'Refund',
  refund_failed: 'Refund failed (credit restored)',
  dispute: 'Card dispute',
};

export const format = {
  /**
   * $1,234.50; sub-cent parts are kept to the microdollar ($24.999967), amounts under a cent to
   * the nanodollar ($0.000042): requests cost fractions of a cent, and a balance that hides them
   * would look unspent.
   */
  usd(n: number): string {
    const abs = Math.abs(n);
    const sign = n < 0 ? '−' : '';
    if (abs === 0) return '$0.00';
    if (abs < 0.01) return `${sign}$${abs.toFixed(9).replace(/0+$/, '')}`;
    return `${sign}$${abs.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 6 })}`;
  },
  count(n: number): string {
    return grouped.format(n);
  },
  /** 2026-12-02 05:48 UTC */
  time(value: string | Date | null | undefined): string {
    if (!value) return '—';
    const d = typeof value === 'string' ? new Date(value) : value;
    return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  },
  day(value: string | Date | null | undefined): string {
    if (!value) return '—';
    return (typeof value === 'string' ? new Date(value) : value).toISOString().slice(0, 10);
  },
  ms(n: number | null | undefined): string {
    return n === null || n === undefined ? '—' : `${grouped.format(n)} ms`;
  },
  /** A ledger journal's kind in words; kinds without a label are shown as they are. */
  journal(kind: string): string {
    return JOURNAL_KINDS[kind] ?? kind;
  },
  /** The first characters of a user agent, enough to tell browsers apart. */
  agent(ua: string | null): string {
    if (!ua) return 'Unknown browser';
    return ua.length > 80 ? `${ua.slice(0, 77)}…` : ua;
  },
};

export type Format = typeof format;
