import { accountCode, JournalInput } from '../ledger';
import {
  disputeLostJournal,
  disputeOpenJournal,
  disputeWonJournal,
  refundFailedJournal,
  refundJournal,
  topupJournal,
} from './topup-journals';

const U = '00000000-0000-4000-8000-000000000001';
const usd = (n: number) => BigInt(Math.round(n * 100)) * 10_000_000n;

/** The journal as non-zero amounts by account code; checks that it balances. */
function view(j: JournalInput): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const e of j.entries) if (e.amount !== 0n) out[accountCode(e.account)] = (out[accountCode(e.account)] ?? 0n) + e.amount;
  expect(Object.values(out).reduce((s, a) => s + a, 0n)).toBe(0n);
  return out;
}

describe('topupJournal', () => {
  it('credits the chosen amount and books the fee apart', () => {
    const j = topupJournal({ topupId: 't1', userId: U, credit: usd(20), fee: usd(1.1), owed: 0n });
    expect(j.key).toBe('topup:t1');
    expect(view(j)).toEqual({
      'platform:stripe_clearing': -usd(21.1),
      [`user:${U}:available`]: usd(20),
      'platform:fee_revenue': usd(1.1),
    });
  });

  it('repays what the user owes first', () => {
    expect(view(topupJournal({ topupId: 't1', userId: U, credit: usd(20), fee: usd(1.1), owed: usd(3) }))).toMatchObject({
      [`user:${U}:receivable`]: usd(3),
      [`user:${U}:available`]: usd(17),
    });
    const all = view(topupJournal({ topupId: 't1', userId: U, credit: usd(20), fee: usd(1.1), owed: usd(50) }));
    expect(all[`user:${U}:receivable`]).toBe(usd(20));
    expect(all[`user:${U}:available`]).toBeUndefined();
  });
});

describe('refundJournal', () => {
  const base = { refundId: 're_1', topupId: 't1', userId: U };

  it('a partial refund takes credit from the available balance', () => {
    const r = refundJournal({ ...base, refund: usd(5), creditRemaining: usd(20), available: usd(20) });
    expect(r.creditTaken).toBe(usd(5));
    expect(view(r.journal)).toEqual({ 'platform:stripe_clearing': usd(5), [`user:${U}:available`]: -usd(5) });
  });

  it('credit already spent becomes owed', () => {
    const r = refundJournal({ ...base, refund: usd(15), creditRemaining: usd(20), available: usd(4) });
    expect(view(r.journal)).toEqual({
      'platform:stripe_clearing': usd(15),
      [`user:${U}:available`]: -usd(4),
      [`user:${U}:receivable`]: -usd(11),
    });
  });

  it('the fee is refunded only beyond the remaining credit, out of fee revenue', () => {
    const r = refundJournal({ ...base, refund: usd(16.1), creditRemaining: usd(15), available: usd(15) });
    expect(r.creditTaken).toBe(usd(15));
    expect(view(r.journal)).toEqual({
      'platform:stripe_clearing': usd(16.1),
      [`user:${U}:available`]: -usd(15),
      'platform:fee_revenue': -usd(1.1),
    });
  });
});

describe('refundFailedJournal', () => {
  const base = { refundId: 're_1', topupId: 't1', userId: U, disputeRoom: 0n };
  const debit = { refund: usd(16.1), fromAvailable: usd(3), fromReceivable: usd(12), fromFees: usd(1.1) };

  it('reverses each part of the debit: cash, available credit, owed credit and fee', () => {
    const r = refundFailedJournal({ ...base, debit, owed: usd(12) });
    expect(r.journal.key).toBe('refund-failed:re_1');
    expect(r.creditRestored).toBe(usd(15));
    expect(view(r.journal)).toEqual({
      'platform:stripe_clearing': -usd(16.1),
      [`user:${U}:available`]: usd(3),
      [`user:${U}:receivable`]: usd(12),
      'platform:fee_revenue': usd(1.1),
    });
  });

  it('what the user repaid since goes to the available balance', () => {
    expect(view(refundFailedJournal({ ...base, debit, owed: usd(2) }).journal)).toMatchObject({
      [`user:${U}:available`]: usd(13),
      [`user:${U}:receivable`]: usd(2),
    });
  });

  it('never debited: the key with no money in it', () => {
    const r = refundFailedJournal({ ...base, debit: null, owed: usd(5) });
    expect(r.creditRestored).toBe(0n);
    expect(view(r.journal)).toEqual({});
  });

  it('with a dispute of the top-up open, the credit goes to the set-aside up to the dispute amount, available part first', () => {
    const r = refundFailedJournal({ ...base, debit, owed: usd(12), disputeRoom: usd(10) });
    expect(r.creditRestored).toBe(usd(15));
    expect(r.setAside).toEqual({ fromAvailable: usd(3), fromReceivable: usd(7) });
    expect(view(r.journal)).toEqual({
      'platform:stripe_clearing': -usd(16.1),
      [`user:${U}:receivable`]: usd(5),
      [`user:${U}:disputed`]: usd(10),
      'platform:fee_revenue': usd(1.1),
    });
    const all = refundFailedJournal({ ...base, debit, owed: usd(12), disputeRoom: usd(50) });
    expect(all.setAside).toEqual({ fromAvailable: usd(3), fromReceivable: usd(12) });
    expect(view(all.journal)).toEqual({
      'platform:stripe_clearing': -usd(16.1),
      [`user:${U}:disputed`]: usd(15),
      'platform:fee_revenue': usd(1.1),
    });
  });
});

describe('dispute journals', () => {
  const base = { disputeId: 'dp_1', topupId: 't1', userId: U };

  it('opening sets the disputed credit aside, spent credit as owed', () => {
    const o = disputeOpenJournal({ ...base, amount: usd(21.1), creditRemaining: usd(20), available: usd(12) });
    expect(o.fromAvailable).toBe(usd(12));
    expect(o.fromReceivable).toBe(usd(8));
    expect(view(o.journal)).toEqual({
      [`user:${U}:available`]: -usd(12),
      [`user:${U}:receivable`]: -usd(8),
      [`user:${U}:disputed`]: usd(20),
    });
  });

  it('won puts it back exactly, and books a net dispute fee', () => {
    const j = disputeWonJournal({ ...base, amount: usd(21.1), fromAvailable: usd(12), fromReceivable: usd(8), owed: usd(8), fee: 0n });
    expect(view(j)).toEqual({
      [`user:${U}:available`]: usd(12),
      [`user:${U}:receivable`]: usd(8),
      [`user:${U}:disputed`]: -usd(20),
    });
    const withFee = view(
      disputeWonJournal({ ...base, amount: usd(21.1), fromAvailable: usd(20), fromReceivable: 0n, owed: 0n, fee: usd(15) }),
    );
    expect(withFee['platform:dispute_expense']).toBe(-usd(15));
  });

  it('won after the user repaid: what was owed goes to the available balance', () => {
    const j = disputeWonJournal({ ...base, amount: usd(21.1), fromAvailable: usd(12), fromReceivable: usd(8), owed: usd(2), fee: 0n });
    expect(view(j)).toEqual({
      [`user:${U}:available`]: usd(18),
      [`user:${U}:receivable`]: usd(2),
      [`user:${U}:disputed`]: -usd(20),
    });
  });

  it('lost: the set-aside credit and the fee part leave with the cash, plus the dispute fee', () => {
    const j = disputeLostJournal({ ...base, amount: usd(21.1), fromAvailable: usd(12), fromReceivable: usd(8), fee: usd(15) });
    expect(view(j)).toEqual({
      [`user:${U}:disputed`]: -usd(20),
      'platform:stripe_clearing': usd(21.1) + usd(15),
      'platform:fee_revenue': -usd(1.1),
      'platform:dispute_expense': -usd(15),
    });
  });
});
