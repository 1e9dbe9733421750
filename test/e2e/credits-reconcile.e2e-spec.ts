import { loadConfig } from '../../src/common/config/app-config';
import { dropDatabase, ensureDatabase, runMigrations } from '../../src/common/database/migrator';
import { CliUsageError } from '../../src/common/cli/cli-command';
import { LedgerService } from '../../src/credits/ledger.service';
import { ReconcileReport, ReconciliationService } from '../../src/credits/topups/reconciliation.service';
import { stripeReconcileCommand } from '../../src/credits/topups/topups.commands';
import { TopupsWorkerModule } from '../../src/credits/topups/topups-worker.module';
import { TopupsModule } from '../../src/credits/topups/topups.module';
import { signUp } from '../support/factories';
import { FakeStripe, startFakeStripe } from '../support/fake-stripe';
import { stripeWebhooks } from '../support/stripe-webhooks';
import { createTestApp, TestApp } from '../support/test-app';
import { databaseUrlFor, TEST_REDIS_URL, testRedisPrefix } from '../support/test-env';

/* eslint-disable @typescript-eslint/no-explicit-any */

const SECRET = 'whsec_test';
const cents = (n: number) => BigInt(n) * 10_000_000n;
const stripeFee = (amountCents: number) => Math.round(amountCents * 0.029) + 30;

/**
 * Reconciliation against Stripe (I6, T22). A database of its own: the run's shared database holds
 * the journals of other suites, whose Stripe objects live in other fake Stripes.
 */
describe('stripe:reconcile', () => {
  const dbUrl = databaseUrlFor(`switchyard_recontest_${process.pid}_${Date.now()}`);
  const since = new Date(Date.now() - 60_000);
  let fake: FakeStripe;
  let t: TestApp;
  let ledger: LedgerService;
  let stripe: ReturnType<typeof stripeWebhooks>;

  beforeAll(async () => {
    await ensureDatabase(dbUrl);
    await runMigrations(loadConfig({ DATABASE_URL: dbUrl, REDIS_URL: TEST_REDIS_URL }));
    fake = await startFakeStripe();
    t = await createTestApp({
      env: {
        DATABASE_URL: dbUrl,
        STRIPE_SECRET_KEY: 'sk_test_x',
        STRIPE_WEBHOOK_SECRET: SECRET,
        STRIPE_API_BASE: fake.url,
        REDIS_KEY_PREFIX: `${testRedisPrefix()}:reconcile`,
      },
      imports: [TopupsModule, TopupsWorkerModule],
    });
    ledger = t.get(LedgerService);
    stripe = stripeWebhooks(t, fake, SECRET);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
    await dropDatabase(dbUrl);
  });
  afterEach(async () => {
    expect(await ledger.check()).toEqual([]);
  });

  const reconcile = (pageSize?: number): Promise<ReconcileReport> => t.get(ReconciliationService).reconcile({ since, pageSize });

  /** The command as an operator runs it: its exit code and its JSON. */
  async function command(
    options: Record<string, string | boolean> = { since: since.toISOString(), json: true },
  ): Promise<{ code: number; lines: string[]; json: any }> {
    const lines: string[] = [];
    const code = await stripeReconcileCommand.run({ config: t.config, options, positionals: [], app: t.app, out: (l) => lines.push(l) });
    return { code, lines, json: options.json ? JSON.parse(lines.join('\n')) : null };
  }

  it('top-ups, a refund, a failed refund and disputes (lost, won, open) applied through webhooks reconcile with 0 differences and Stripe totals', async () => {
    const [a, b, c, d] = await Promise.all(['rec-a', 'rec-b', 'rec-c', 'rec-d'].map((tag) => signUp(t, tag)));
    const a1 = await stripe.topUp(a, 20);
    const a2 = await stripe.topUp(a, 10);
    const b1 = await stripe.topUp(b, 50);
    const c1 = await stripe.topUp(c, 15);
    const d1 = await stripe.topUp(d, 10);

    await stripe.send('refund.created', fake.addRefund(a1.charge.id, 500));
    const failing = fake.addRefund(a2.charge.id, 300);
    await stripe.send('refund.created', failing);
    await stripe.send('refund.failed', fake.failRefund(failing.id));

    const lost = fake.addDispute(b1.charge.id);
    await stripe.send('charge.dispute.created', lost);
    await stripe.send('charge.dispute.closed', fake.closeDispute(lost.id, 'lost'));
    const won = fake.addDispute(c1.charge.id);
    await stripe.send('charge.dispute.funds_withdrawn', won);
    await stripe.send('charge.dispute.closed', fake.closeDispute(won.id, 'won'));
    const open = fake.addDispute(d1.charge.id);
    await stripe.send('charge.dispute.created', open);

    const report = await reconcile();
    expect(report.differences).toEqual([]);
    const totals = [a1, a2, b1, c1, d1].map((x) => Math.round(x.total * 100));
    expect(report.totals).toEqual([
      {
        currency: 'usd',
        charges: 5,
        charged: cents(totals.reduce((s, x) => s + x, 0)),
        refunds: 2,
        pendingRefunds: 0,
        failedRefunds: 1,
        refunded: cents(500),
        disputes: 3,
        openDisputes: 1,
        openDisputed: cents(d1.charge.amount),
        disputeFees: cents(3 * 1500),
        processingFees: cents(totals.reduce((s, x) => s + stripeFee(x), 0)),
      },
    ]);
    expect(report.ignored).toBe(0);

    const run = await command();
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({ differences: [], totals: [{ currency: 'usd', charges: 5, refunded: 5, dispute_fees: 45 }] });
    // Without --since: the last 30 days, which hold everything above.
    const text = await command({});
    expect(text.code).toBe(0);
    expect(text.lines.at(-1)).toBe('reconciled: no unexplained differences');
    expect(text.lines[1]).toMatch(/^USD: 5 top-up charge\(s\) .*Stripe processing fees [\d.]+ USD \(not booked in the ledger\)$/);
  });

  it('a Stripe charge whose webhook never arrived is reported (exit 1) until the top-up is credited', async () => {
    const user = await signUp(t, 'rec-lost-webhook');
    const c = await stripe.checkout(user, 25);
    fake.markPaid(c.session);
    const charge = fake.chargeFor(c.session);

    expect((await reconcile()).differences).toEqual([
      expect.objectContaining({ kind: 'topup_not_credited', stripeId: charge.id, journal: `topup:${c.id}`, topupId: c.id }),
    ]);
    const run = await command();
    expect(run.code).toBe(1);
    expect(run.json.differences).toEqual([expect.objectContaining({ kind: 'topup_not_credited', stripe_id: charge.id })]);
    const text = await command({ since: since.toISOString() });
    expect(text.code).toBe(1);
    expect(text.lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^DIFFERENCE topup_not_credited: ${charge.id} topup:${c.id} `)),
        '1 difference(s)',
      ]),
    );
    await expect(command({ since: 'last week' })).rejects.toThrow(CliUsageError);

    await stripe.send('checkout.session.completed', fake.sessions.get(c.session)!);
    expect((await reconcile()).differences).toEqual([]);
    expect((await command()).code).toBe(0);
  });

  it('amounts that differ from what we booked are reported: a charge, a refund, a lost dispute', async () => {
    const user = await signUp(t, 'rec-amounts');
    const c = await stripe.topUp(user, 30);
    const refund = fake.addRefund(c.charge.id, 700);
    await stripe.send('refund.created', refund);
    const other = await stripe.topUp(await signUp(t, 'rec-amounts-dispute'), 10);
    const dispute = fake.addDispute(other.charge.id);
    await stripe.send('charge.dispute.created', dispute);
    await stripe.send('charge.dispute.closed', fake.closeDispute(dispute.id, 'lost'));
    expect((await reconcile()).differences).toEqual([]);

    // What Stripe's balance says happened, changed after the fact.
    const chargeTx = fake.balanceTransactions.get(c.charge.balance_transaction)!;
    const refundTx = fake.balanceTransactions.get(refund.balance_transaction)!;
    const disputeTx = fake.balanceTransactions.get(dispute.balance_transactions[0].id)!;
    chargeTx.amount += 100;
    refundTx.amount -= 50;
    disputeTx.net -= 200;
    let report: ReconcileReport;
    try {
      report = await reconcile();
    } finally {
      chargeTx.amount -= 100;
      refundTx.amount += 50;
      disputeTx.net += 200;
    }
    expect(report.differences).toEqual([
      expect.objectContaining({ kind: 'amount_mismatch', stripeId: c.charge.id, journal: `topup:${c.id}`, topupId: c.id }),
      expect.objectContaining({ kind: 'amount_mismatch', stripeId: c.charge.id, journal: `topup:${c.id}`, topupId: c.id }),
      expect.objectContaining({ kind: 'amount_mismatch', stripeId: refund.id, journal: `refund:${refund.id}`, topupId: c.id }),
      expect.objectContaining({ kind: 'amount_mismatch', stripeId: dispute.id, journal: `dispute:${dispute.id}:lost`, topupId: other.id }),
    ]);
    expect(report.differences[0].detail).toContain(`Stripe charged ${Math.round(c.total * 100) + 100} cents, the top-up is 3000 + fee`);
    expect((await reconcile()).differences).toEqual([]);
  });

  it('a refund that Stripe says failed but is still debited, and journals Stripe does not know, are reported', async () => {
    const user = await signUp(t, 'rec-failed');
    const c = await stripe.topUp(user, 40);
    const refund = fake.addRefund(c.charge.id, 900);
    await stripe.send('refund.created', refund);
    fake.failRefund(refund.id);
    expect((await reconcile()).differences).toEqual([
      expect.objectContaining({ kind: 'failed_refund_still_debited', stripeId: refund.id, journal: `refund:${refund.id}` }),
    ]);
    await stripe.send('refund.failed', refund);
    expect((await reconcile()).differences).toEqual([]);

    // Stripe forgets the refund (a journal booked for an object that is not on this account).
    const txs = [refund.balance_transaction, refund.failure_balance_transaction].map((id) => fake.balanceTransactions.get(id)!);
    fake.refunds.delete(refund.id);
    txs.forEach((x) => fake.balanceTransactions.delete(x.id));
    let report: ReconcileReport;
    try {
      report = await reconcile();
    } finally {
      fake.refunds.set(refund.id, refund);
      txs.forEach((x) => fake.balanceTransactions.set(x.id, x));
    }
    expect(report.differences).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'no_stripe_counterpart', stripeId: refund.id, journal: `refund:${refund.id}` }),
        expect.objectContaining({ kind: 'no_stripe_counterpart', stripeId: refund.id, journal: `refund-failed:${refund.id}` }),
      ]),
    );
    expect(report.differences).toHaveLength(2);
    expect((await reconcile()).differences).toEqual([]);
  });

  it('a dispute whose events never arrived, and one Stripe closed that we still hold open, are reported', async () => {
    const [x, y] = await Promise.all([
      stripe.topUp(await signUp(t, 'rec-dispute-x'), 10),
      stripe.topUp(await signUp(t, 'rec-dispute-y'), 10),
    ]);
    const unseen = fake.addDispute(x.charge.id);
    const closed = fake.addDispute(y.charge.id);
    await stripe.send('charge.dispute.created', closed);
    fake.closeDispute(closed.id, 'lost');
    const report = await reconcile();
    expect(report.differences).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'dispute_not_booked', stripeId: unseen.id, journal: `dispute:${unseen.id}:open`, topupId: x.id }),
        expect.objectContaining({
          kind: 'dispute_outcome_not_booked',
          stripeId: closed.id,
          journal: `dispute:${closed.id}:lost`,
          topupId: y.id,
        }),
      ]),
    );
    expect(report.differences).toHaveLength(2);
    await stripe.send('charge.dispute.created', unseen);
    await stripe.send('charge.dispute.closed', closed);
    expect((await reconcile()).differences).toEqual([]);
  });

  it('pages through the balance transactions with starting_after: small pages give the same report', async () => {
    const whole = await reconcile(100);
    const before = fake.requests.length;
    const paged = await reconcile(2);
    expect(paged.totals).toEqual(whole.totals);
    expect(paged.differences).toEqual(whole.differences);
    expect(paged.totals[0].charges).toBe([...fake.balanceTransactions.values()].filter((x) => x.type === 'charge').length);
    const pages = fake.requests.slice(before).filter((r) => r.path === '/v1/balance_transactions' && r.query.type === 'charge');
    expect(pages.length).toBeGreaterThanOrEqual(Math.ceil(paged.totals[0].charges / 2));
    expect(pages.filter((r) => r.query.starting_after).length).toBe(pages.length - 1);
    expect(pages.every((r) => r.query.limit === '2' && r.query['created[gte]'] === String(Math.floor(since.getTime() / 1000)))).toBe(true);
  });
});
