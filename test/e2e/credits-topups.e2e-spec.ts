import { randomUUID } from 'node:crypto';
import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { DataSource } from 'typeorm';
import { QueueName } from '../../src/common/queue/queue-names';
import { usageShardFor } from '../../src/credits/ledger';
import { LedgerService } from '../../src/credits/ledger.service';
import { CheckoutFulfilment } from '../../src/credits/topups/events/checkout-fulfilment';
import { StripeEventsService } from '../../src/credits/topups/stripe-events.service';
import { StripeClient } from '../../src/credits/topups/stripe.client';
import { TopupsWorkerModule } from '../../src/credits/topups/topups-worker.module';
import { TopupsModule } from '../../src/credits/topups/topups.module';
import { call, createKey, signUp } from '../support/factories';
import { FakeStripe, signedEvent, startFakeStripe } from '../support/fake-stripe';
import { stripeWebhooks } from '../support/stripe-webhooks';
import { createTestApp, TestApp } from '../support/test-app';
import { testRedisPrefix } from '../support/test-env';

/* eslint-disable @typescript-eslint/no-explicit-any */

const SECRET = 'whsec_test';
type Webhooks = ReturnType<typeof stripeWebhooks>;
const usd = (n: number) => BigInt(Math.round(n * 100)) * 10_000_000n;

describe('card top-ups through Stripe Checkout', () => {
  let fake: FakeStripe;
  let t: TestApp;
  let db: DataSource;
  let ledger: LedgerService;
  let deliver: Webhooks['deliver'];
  let deliverOk: Webhooks['deliverOk'];
  let processed: Webhooks['processed'];
  let checkout: Webhooks['checkout'];
  let sessionEvent: Webhooks['sessionEvent'];
  let topUp: Webhooks['topUp'];
  let send: Webhooks['send'];

  beforeAll(async () => {
    fake = await startFakeStripe();
    t = await createTestApp({
      // A queue namespace of its own: apps of other suites must not pick up these jobs.
      env: {
        STRIPE_SECRET_KEY: 'sk_test_x',
        STRIPE_WEBHOOK_SECRET: SECRET,
        STRIPE_API_BASE: fake.url,
        REDIS_KEY_PREFIX: `${testRedisPrefix()}:topups`,
      },
      imports: [TopupsModule, TopupsWorkerModule],
    });
    db = t.get(DataSource);
    ledger = t.get(LedgerService);
    ({ deliver, deliverOk, processed, checkout, sessionEvent, topUp, send } = stripeWebhooks(t, fake, SECRET));
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });
  afterEach(async () => {
    fake.failWith = null;
    expect(await ledger.check()).toEqual([]);
  });

  // --- helpers ---

  /** The journal's entries summed by account code (user ids replaced by `user`). */
  async function journal(key: string): Promise<Record<string, bigint>> {
    const rows: { code: string; amount: string }[] = await db.query(
      `SELECT a.code, e.amount::text FROM ledger_journals j JOIN ledger_entries e ON e.journal_id = j.id
       JOIN ledger_accounts a ON a.id = e.account_id WHERE j.idempotency_key = $1`,
      [key],
    );
    const out: Record<string, bigint> = {};
    for (const r of rows) {
      const code = r.code.replace(/^user:[0-9a-f-]+:/, 'user:');
      out[code] = (out[code] ?? 0n) + BigInt(r.amount);
    }
    return out;
  }

  const journalCount = async (like: string) =>
    Number((await db.query(`SELECT count(*)::int AS n FROM ledger_journals WHERE idempotency_key LIKE $1`, [like]))[0].n);

  const topupRow = async (id: string) =>
    (await db.query(`SELECT status, refunded_nanos::text AS refunded, payment_intent_id FROM topups WHERE id = $1`, [id]))[0] as {
      status: string;
      refunded: string;
      payment_intent_id: string | null;
    };

  /** Usage, played straight on the ledger: available credit moves to usage revenue. */
  async function spend(userId: string, amount: bigint): Promise<void> {
    await ledger.transaction((em) =>
      ledger.post(em, {
        key: `test-spend:${randomUUID()}`,
        kind: 'usage',
        userId,
        entries: [
          { account: { user: userId, kind: 'available' }, amount: -amount },
          { account: usageShardFor(userId), amount },
        ],
      }),
    );
  }

  /** `dispute:<dp>:lost` of a whole 10.00 top-up (10.80 charged) that set aside its 10 of credit; Stripe's fee is 15.00. */
  const lostWhole10 = {
    'user:disputed': -usd(10),
    'platform:stripe_clearing': usd(10.8) + usd(15),
    'platform:fee_revenue': -usd(0.8),
    'platform:dispute_expense': -usd(15),
  };

  const shuffle = <T>(xs: T[]): T[] =>
    xs
      .map((x) => ({ x, k: Math.random() }))
      .sort((a, b) => a.k - b.k)
      .map((p) => p.x);

  // --- checkout ---

  it('a full top-up: checkout, signed checkout.session.completed, credited with the chosen amount and the fee booked apart', async () => {
    const user = await signUp(t, 'topup');
    const c = await checkout(user, 20);
    expect(c).toMatchObject({ amount: 20, fee: 1.1, total: 21.1, currency: 'usd' });
    expect(c.url).toMatch(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/);

    const sent = fake.requests.find((r) => r.method === 'POST' && r.params.client_reference_id === c.id)!;
    expect(sent.path).toBe('/v1/checkout/sessions');
    expect(sent.idempotencyKey).toBe(`topup:${c.id}:session`);
    expect(sent.authorization).toBe('Bearer sk_test_x');
    expect(sent.stripeVersion).toBeTruthy();
    expect(sent.params).toMatchObject({
      mode: 'payment',
      client_reference_id: c.id,
      metadata: { topup_id: c.id },
      payment_intent_data: { metadata: { topup_id: c.id } },
      line_items: [
        { quantity: '1', price_data: { currency: 'usd', unit_amount: '2000', product_data: { name: 'Switchyard credits' } } },
        { quantity: '1', price_data: { currency: 'usd', unit_amount: '110', product_data: { name: 'Top-up fee' } } },
      ],
    });
    expect(sent.params.success_url).toBe(`${t.config.http.publicUrl}/credits?topup=${c.id}`);
    expect(sent.params.cancel_url).toBe(`${t.config.http.publicUrl}/credits?cancelled=${c.id}`);

    let list = await call<{ data: any[] }>(t, 'GET', '/api/v1/credits/topups', { cookie: user.cookie });
    expect(list.body.data).toEqual([expect.objectContaining({ id: c.id, status: 'pending', amount: 20, fee: 1.1 })]);

    fake.markPaid(c.session);
    const ev = sessionEvent('checkout.session.completed', c.session);
    await deliverOk(ev);
    await processed(ev.id);

    const b = await ledger.balances(user.id);
    expect(b.available).toBe(usd(20));
    expect(b.receivable).toBe(0n);
    expect(await journal(`topup:${c.id}`)).toEqual({
      'platform:stripe_clearing': -usd(21.1),
      'user:available': usd(20),
      'platform:fee_revenue': usd(1.1),
    });
    expect((await topupRow(c.id)).payment_intent_id).toBe(fake.sessions.get(c.session)!.payment_intent);

    list = await call<{ data: any[] }>(t, 'GET', '/api/v1/credits/topups', { cookie: user.cookie });
    expect(list.status).toBe(200);
    expect(list.body.data).toEqual([
      {
        id: c.id,
        amount: 20,
        fee: 1.1,
        total: 21.1,
        currency: 'usd',
        status: 'credited',
        refunded: 0,
        created_at: expect.any(String),
        credited_at: expect.any(String),
        dispute: null,
      },
    ]);
  });

  it('a key of a user who bought credit is no longer on the free tier (GET /key)', async () => {
    const user = await signUp(t, 'topup');
    const { key } = await createKey(t, { cookie: user.cookie });
    const before = await call<{ data: { is_free_tier: boolean } }>(t, 'GET', '/api/v1/key', { key });
    expect(before.body.data.is_free_tier).toBe(true);
    await topUp(user, 10);
    const after = await call<{ data: { is_free_tier: boolean } }>(t, 'GET', '/api/v1/key', { key });
    expect(after.body.data.is_free_tier).toBe(false);
  });

  it('the top-up list pages newest first without skipping rows of the same millisecond; a foreign cursor is a 400', async () => {
    const user = await signUp(t, 'topup-pages');
    // Five top-ups within one millisecond, apart only in microseconds: a cursor rounded to the
    // millisecond would lose some of them at a page boundary.
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) {
      const [row] = await db.query(
        `INSERT INTO topups (user_id, amount_cents, fee_cents, created_at) VALUES ($1, $2, 100, $3) RETURNING id`,
        [user.id, 1000 * i, `2026-11-20T10:00:00.12300${i}Z`],
      );
      ids.push(row.id);
    }
    const seen: string[] = [];
    let next: string | null = null;
    do {
      const page: { status: number; body: { data: { id: string }[]; next: string | null } } = await call(
        t,
        'GET',
        `/api/v1/credits/topups?limit=2${next ? `&before=${next}` : ''}`,
        { cookie: user.cookie },
      );
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((r) => r.id));
      next = page.body.next;
    } while (next);
    expect(seen).toEqual([...ids].reverse());
    expect((await call<{ data: unknown[]; next: null }>(t, 'GET', '/api/v1/credits/topups', { cookie: user.cookie })).body).toEqual({
      data: expect.any(Array),
      next: null,
    });

    const foreign = Buffer.from(`2026-11-20T10:00:00.123Z|${ids[0]}`).toString('base64url');
    for (const before of [foreign, 'bm90LWEtY3Vyc29y']) {
      const bad = await call<{ error: { metadata: { error_type: string } } }>(t, 'GET', `/api/v1/credits/topups?before=${before}`, {
        cookie: user.cookie,
      });
      expect([bad.status, bad.body.error.metadata.error_type]).toEqual([400, 'validation_failed']);
      const ledgerPage = await call(t, 'GET', `/api/v1/credits/ledger?before=${before}`, { cookie: user.cookie });
      expect(ledgerPage.status).toBe(400);
    }
  });

  it('the fee has its minimum; the session key comes from the top-up, so a repeated call gets the same session', async () => {
    const user = await signUp(t, 'topup-min');
    const c = await checkout(user, 5);
    expect(c).toMatchObject({ amount: 5, fee: 0.8, total: 5.8 });
    const input = {
      topupId: c.id,
      amountCents: 500,
      feeCents: 80,
      currency: 'usd',
      successUrl: `${t.config.http.publicUrl}/credits?topup=${c.id}`,
      cancelUrl: `${t.config.http.publicUrl}/credits?cancelled=${c.id}`,
    };
    const again = await t.get(StripeClient).createCheckoutSession(input, `topup:${c.id}:session`);
    expect(again.id).toBe(c.session);
    expect(fake.requests.filter((r) => r.idempotencyKey === `topup:${c.id}:session`).map((r) => r.replayed)).toEqual([false, true]);
    expect(fake.sessions.get(c.session)!.amount_total).toBe(580);
  });

  it('the same event 5 times, concurrently and out of order with related events of the same payment, credits once', async () => {
    const user = await signUp(t, 'topup-dup');
    const c = await checkout(user, 10);
    const session = fake.markPaid(c.session);
    const completed = sessionEvent('checkout.session.completed', c.session);
    const asyncOk = sessionEvent('checkout.session.async_payment_succeeded', c.session);
    const pi = signedEvent(
      'payment_intent.succeeded',
      {
        id: session.payment_intent,
        object: 'payment_intent',
        amount: 1080,
        currency: 'usd',
        status: 'succeeded',
        metadata: { topup_id: c.id },
      },
      SECRET,
    );
    const deliveries = shuffle([completed, completed, completed, completed, completed, asyncOk, asyncOk, pi]);
    const statuses = await Promise.all(deliveries.map(async (ev) => (await deliver(ev)).status));
    expect(statuses).toEqual(deliveries.map(() => 200));
    await processed(completed.id, asyncOk.id, pi.id);

    expect((await ledger.balances(user.id)).available).toBe(usd(10));
    expect(await journalCount(`topup:${c.id}`)).toBe(1);
    expect(Number((await db.query(`SELECT count(*)::int AS n FROM stripe_events WHERE id = $1`, [completed.id]))[0].n)).toBe(1);

    // Delivered again after processing: acknowledged, nothing more happens.
    await deliverOk(completed);
    await new Promise((r) => setTimeout(r, 300));
    expect((await ledger.balances(user.id)).available).toBe(usd(10));
    expect(await journalCount(`topup:${c.id}`)).toBe(1);
  });

  it('fulfilment called many times at once (webhooks and the success page racing) credits once', async () => {
    const user = await signUp(t, 'topup-race');
    const c = await checkout(user, 7.5);
    fake.markPaid(c.session);
    const fulfil = t.get(CheckoutFulfilment);
    const outcomes = await Promise.all(Array.from({ length: 12 }, () => fulfil.fulfil(c.id)));
    expect(outcomes.filter((o) => o === 'credited')).toHaveLength(1);
    expect(outcomes.filter((o) => o !== 'credited').every((o) => o === 'already_credited')).toBe(true);
    expect((await ledger.balances(user.id)).available).toBe(usd(7.5));
  });

  it('tampered body, wrong secret, stale timestamp, missing header: 400, nothing stored, no job', async () => {
    const user = await signUp(t, 'topup-sig');
    const c = await checkout(user, 10);
    fake.markPaid(c.session);
    const queue = t.get<Queue>(getQueueToken(QueueName.StripeEvents));
    const good = sessionEvent('checkout.session.completed', c.session);
    const tampered = { ...good, payload: good.payload.replace('"amount_total":1080', '"amount_total":108000') };
    expect(tampered.payload).not.toBe(good.payload);
    const wrongSecret = sessionEvent('checkout.session.completed', c.session, 'whsec_someone_else');
    const stale = sessionEvent('checkout.session.completed', c.session, SECRET, { timestamp: Math.floor(Date.now() / 1000) - 301 });
    const missing = { ...sessionEvent('checkout.session.completed', c.session), header: null };
    const garbage = { ...sessionEvent('checkout.session.completed', c.session), header: 't=1,v1=deadbeef' };

    for (const ev of [tampered, wrongSecret, stale, missing, garbage]) {
      const res = await deliver(ev);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { code: number; message: string } };
      expect(body.error.code).toBe(400);
      expect(body.error.message).toBe('Invalid Stripe webhook signature');
      const id = (JSON.parse(ev.payload) as { id: string }).id;
      expect(await db.query(`SELECT id FROM stripe_events WHERE id = $1`, [id])).toEqual([]);
      expect(await queue.getJob(id)).toBeNull();
    }
    await new Promise((r) => setTimeout(r, 200));
    expect((await topupRow(c.id)).status).toBe('pending');
    expect((await ledger.balances(user.id)).available).toBe(0n);
  });

  it('not credited when Stripe does not show the session paid in full: unpaid, amount mismatch; expired sessions expire', async () => {
    const user = await signUp(t, 'topup-bad');
    // The event claims "paid", but Stripe, asked again, says unpaid.
    const unpaid = await checkout(user, 10);
    const lying = signedEvent('checkout.session.completed', { ...fake.sessions.get(unpaid.session)!, payment_status: 'paid' }, SECRET);
    // Paid, but not the amount the top-up asked for.
    const short = await checkout(user, 10);
    fake.markPaid(short.session, { amount_total: 100 });
    const shortEv = sessionEvent('checkout.session.completed', short.session);
    const expired = await checkout(user, 10);
    fake.sessions.get(expired.session)!.status = 'expired';
    const expiredEv = sessionEvent('checkout.session.expired', expired.session);
    const failed = sessionEvent('checkout.session.async_payment_failed', unpaid.session);

    for (const ev of [lying, shortEv, expiredEv, failed]) await deliverOk(ev);
    await processed(lying.id, shortEv.id, expiredEv.id, failed.id);

    expect((await topupRow(unpaid.id)).status).toBe('pending');
    expect((await topupRow(short.id)).status).toBe('pending');
    expect((await topupRow(expired.id)).status).toBe('expired');
    expect((await ledger.balances(user.id)).available).toBe(0n);
    expect(await journalCount(`topup:${short.id}`)).toBe(0);
  });

  it('a stored event whose job never made it to Redis is re-enqueued and applied', async () => {
    const user = await signUp(t, 'topup-requeue');
    const c = await checkout(user, 12);
    fake.markPaid(c.session);
    const ev = sessionEvent('checkout.session.completed', c.session);
    // As the webhook leaves it when Redis refuses the job: stored, unprocessed, no job.
    const event = JSON.parse(ev.payload) as { id: string; type: string };
    await db.query(`INSERT INTO stripe_events (id, type, payload, received_at) VALUES ($1, $2, $3::jsonb, now() - interval '2 minutes')`, [
      event.id,
      event.type,
      ev.payload,
    ]);
    expect(await t.get(StripeEventsService).requeueStale()).toBeGreaterThanOrEqual(1);
    await processed(event.id);
    expect((await ledger.balances(user.id)).available).toBe(usd(12));
  });

  // --- refunds ---

  it('refunds debit once per refund id however they arrive; spent credit becomes owed and the next top-up repays it', async () => {
    const user = await signUp(t, 'refund');
    const c = await topUp(user, 20);
    const charge = c.charge;

    // A partial refund, announced by refund.created (3x) and charge.refunded (2x), concurrently.
    const re1 = fake.addRefund(charge.id, 500);
    const created = signedEvent('refund.created', re1, SECRET);
    const refunded1 = signedEvent('charge.refunded', charge, SECRET);
    await Promise.all(shuffle([created, created, created, refunded1, refunded1]).map(deliverOk));
    await processed(created.id, refunded1.id);
    expect((await ledger.balances(user.id)).available).toBe(usd(15));
    expect(await journal(`refund:${re1.id}`)).toEqual({ 'platform:stripe_clearing': usd(5), 'user:available': -usd(5) });
    expect((await topupRow(c.id)).refunded).toBe(usd(5).toString());

    // The user spends 12 of the 15 left; then the rest of the charge (15 credit + 1.10 fee) is refunded.
    await spend(user.id, usd(12));
    const re2 = fake.addRefund(charge.id, 1610);
    const updated = signedEvent('refund.updated', re2, SECRET);
    const refunded2 = signedEvent('charge.refunded', charge, SECRET);
    const pendingRefund = signedEvent('refund.created', { ...re2, status: 'pending' }, SECRET);
    await Promise.all(shuffle([updated, updated, refunded2, refunded2, refunded1, pendingRefund]).map(deliverOk));
    await processed(updated.id, refunded2.id, pendingRefund.id);

    let b = await ledger.balances(user.id);
    expect(b.available).toBe(0n);
    expect(b.receivable).toBe(-usd(12));
    expect(await journal(`refund:${re2.id}`)).toEqual({
      'platform:stripe_clearing': usd(16.1),
      'user:available': -usd(3),
      'user:receivable': -usd(12),
      'platform:fee_revenue': -usd(1.1),
    });
    expect(await journalCount(`refund:${re1.id}`)).toBe(1);
    expect(await journalCount(`refund:${re2.id}`)).toBe(1);
    expect((await topupRow(c.id)).refunded).toBe(usd(20).toString());
    const list = await call<{ data: any[] }>(t, 'GET', '/api/v1/credits/topups', { cookie: user.cookie });
    expect(list.body.data[0]).toMatchObject({ id: c.id, status: 'credited', refunded: 20 });

    // The next top-up repays what is owed first.
    const next = await topUp(user, 20);
    b = await ledger.balances(user.id);
    expect(b.receivable).toBe(0n);
    expect(b.available).toBe(usd(8));
    expect(await journal(`topup:${next.id}`)).toEqual({
      'platform:stripe_clearing': -usd(21.1),
      'user:receivable': usd(12),
      'user:available': usd(8),
      'platform:fee_revenue': usd(1.1),
    });
  });

  it('a refund that arrives before the checkout event credits the top-up first, then debits', async () => {
    const user = await signUp(t, 'refund-early');
    const c = await checkout(user, 10);
    fake.markPaid(c.session);
    const re = fake.addRefund(fake.chargeFor(c.session).id, 400);
    const ev = signedEvent('refund.created', re, SECRET);
    await deliverOk(ev);
    await processed(ev.id);
    expect((await topupRow(c.id)).status).toBe('credited');
    expect((await ledger.balances(user.id)).available).toBe(usd(6));
    // The late checkout event changes nothing.
    const late = sessionEvent('checkout.session.completed', c.session);
    await deliverOk(late);
    await processed(late.id);
    expect((await ledger.balances(user.id)).available).toBe(usd(6));
  });

  // --- refunds that fail (Stripe returns the cash to the merchant balance) ---

  it('a refund that succeeded and then failed gives the credit back exactly once', async () => {
    const user = await signUp(t, 'refund-fails');
    const c = await topUp(user, 20);
    const re = fake.addRefund(c.charge.id, 500);
    const created = signedEvent('refund.created', re, SECRET);
    await deliverOk(created);
    await processed(created.id);
    expect((await ledger.balances(user.id)).available).toBe(usd(15));
    expect((await topupRow(c.id)).refunded).toBe(usd(5).toString());

    re.status = 'failed';
    const failed = signedEvent('refund.failed', re, SECRET);
    await deliverOk(failed);
    await processed(failed.id);
    expect((await ledger.balances(user.id)).available).toBe(usd(20));
    expect(await journal(`refund-failed:${re.id}`)).toEqual({ 'platform:stripe_clearing': -usd(5), 'user:available': usd(5) });
    expect((await topupRow(c.id)).refunded).toBe('0');

    // Later deliveries, of the failure or of the refund's earlier "succeeded" state, change nothing.
    const again = signedEvent('refund.failed', re, SECRET);
    const stale = signedEvent('refund.updated', { ...re, status: 'succeeded' }, SECRET);
    await Promise.all([again, stale].map(deliverOk));
    await processed(again.id, stale.id);
    expect((await ledger.balances(user.id)).available).toBe(usd(20));
    expect(await journalCount(`refund-failed:${re.id}`)).toBe(1);
    expect(await journalCount(`refund:${re.id}`)).toBe(1);
  });

  it('GET /credits counts failed refunds and lost disputes: total_credits - total_usage is what the user holds', async () => {
    const user = await signUp(t, 'credits-totals');
    const totals = async () => (await call<{ data: any }>(t, 'GET', '/api/v1/credits', { cookie: user.cookie })).body.data;
    const c = await topUp(user, 10);
    const re = fake.addRefund(c.charge.id, 500);
    await send('refund.created', re);
    expect(await totals()).toMatchObject({ total_credits: 5, total_usage: 0, balance: 5 });
    await send('refund.failed', fake.failRefund(re.id));
    expect(await totals()).toMatchObject({ total_credits: 10, total_usage: 0, balance: 10 });

    // A second top-up, disputed: set aside it still counts; lost, it is taken back.
    const d = await topUp(user, 10);
    const dp = fake.addDispute(d.charge.id).id;
    await send('charge.dispute.created', fake.disputes.get(dp)!);
    expect(await totals()).toMatchObject({ total_credits: 20, balance: 10, disputed: 10 });
    await send('charge.dispute.closed', fake.closeDispute(dp, 'lost'));
    expect(await totals()).toMatchObject({ total_credits: 10, total_usage: 0, balance: 10, disputed: 0 });
  });

  it('a failed refund announced 3x as refund.failed, refund.updated and charge.refund.updated at once is reversed by one journal, fee and owed parts included', async () => {
    const user = await signUp(t, 'refund-fails-race');
    const c = await topUp(user, 20);
    await spend(user.id, usd(12));
    // The whole charge: 8 credit still available, 12 already spent (owed), 1.10 of fee.
    const re = fake.addRefund(c.charge.id, 2110);
    const created = signedEvent('refund.created', re, SECRET);
    await deliverOk(created);
    await processed(created.id);
    const debit = await journal(`refund:${re.id}`);
    expect(debit).toEqual({
      'platform:stripe_clearing': usd(21.1),
      'user:available': -usd(8),
      'user:receivable': -usd(12),
      'platform:fee_revenue': -usd(1.1),
    });

    re.status = 'failed';
    const events = [
      signedEvent('refund.failed', re, SECRET),
      signedEvent('refund.updated', re, SECRET),
      signedEvent('charge.refund.updated', re, SECRET),
      signedEvent('charge.refunded', c.charge, SECRET),
    ];
    await Promise.all(shuffle(events.flatMap((e) => [e, e, e])).map(deliverOk));
    await processed(...events.map((e) => e.id));

    expect(await journalCount(`refund-failed:${re.id}`)).toBe(1);
    const reversal = await journal(`refund-failed:${re.id}`);
    expect(reversal).toEqual(Object.fromEntries(Object.entries(debit).map(([code, amount]) => [code, -amount])));
    const b = await ledger.balances(user.id);
    expect(b.available).toBe(usd(8));
    expect(b.receivable).toBe(0n);
    expect((await topupRow(c.id)).refunded).toBe('0');
  });

  it('a refund that fails before it was debited posts nothing, and is not debited by a late "succeeded" event', async () => {
    const user = await signUp(t, 'refund-fails-early');
    const c = await topUp(user, 10);
    const re = fake.addRefund(c.charge.id, 300, 'pending');
    const created = signedEvent('refund.created', re, SECRET);
    await deliverOk(created);
    await processed(created.id);
    re.status = 'failed';
    const failed = signedEvent('refund.updated', re, SECRET);
    await deliverOk(failed);
    await processed(failed.id);
    // The failure is recorded by its key alone: no entries, no money moves.
    expect(await journal(`refund-failed:${re.id}`)).toEqual({});
    expect(await journalCount(`refund%${re.id}`)).toBe(1);
    expect((await ledger.balances(user.id)).available).toBe(usd(10));

    const late = signedEvent('refund.updated', { ...re, status: 'succeeded' }, SECRET);
    await deliverOk(late);
    await processed(late.id);
    expect(await journalCount(`refund:${re.id}`)).toBe(0);
    expect((await ledger.balances(user.id)).available).toBe(usd(10));
    expect((await topupRow(c.id)).refunded).toBe('0');
  });

  // --- disputes ---
  // Stripe's dispute is the fake's stored object (the handler asks for it); each event carries a
  // copy of it taken when the event is signed.

  it('a dispute freezes the user and sets the credit aside; won restores it exactly; another, lost, debits it and books the fee', async () => {
    const user = await signUp(t, 'dispute');
    const first = await topUp(user, 20);
    await spend(user.id, usd(5));
    const before = await ledger.balances(user.id);
    expect(before).toMatchObject({ available: usd(15), receivable: 0n, disputed: 0n, frozen: false });

    const dp1 = fake.addDispute(first.charge.id).id;
    const opened = signedEvent('charge.dispute.created', fake.disputes.get(dp1)!, SECRET);
    const withdrawn = signedEvent('charge.dispute.funds_withdrawn', fake.disputes.get(dp1)!, SECRET);
    await Promise.all([opened, opened, withdrawn, opened].map(deliverOk));
    await processed(opened.id, withdrawn.id);

    let b = await ledger.balances(user.id);
    expect(b).toMatchObject({ available: 0n, receivable: -usd(5), disputed: usd(20), frozen: true });
    expect(await journal(`dispute:${dp1}:open`)).toEqual({
      'user:available': -usd(15),
      'user:receivable': -usd(5),
      'user:disputed': usd(20),
    });

    // Won: the funds come back, the 15.00 dispute fee stays with Stripe.
    const won = signedEvent('charge.dispute.closed', fake.closeDispute(dp1, 'won'), SECRET);
    await Promise.all([won, won, opened].map(deliverOk));
    await processed(won.id);
    b = await ledger.balances(user.id);
    expect(b).toEqual(before);
    expect(await journal(`dispute:${dp1}:won`)).toEqual({
      'user:available': usd(15),
      'user:receivable': usd(5),
      'user:disputed': -usd(20),
      'platform:stripe_clearing': usd(15),
      'platform:dispute_expense': -usd(15),
    });
    expect((await db.query(`SELECT status FROM disputes WHERE id = $1`, [dp1]))[0].status).toBe('won');

    // A second top-up, disputed and lost.
    const second = await topUp(user, 10);
    expect((await ledger.balances(user.id)).available).toBe(usd(25));
    const dp2 = fake.addDispute(second.charge.id).id;
    const opened2 = signedEvent('charge.dispute.created', fake.disputes.get(dp2)!, SECRET);
    await deliverOk(opened2);
    await processed(opened2.id);
    expect(await ledger.balances(user.id)).toMatchObject({ available: usd(15), disputed: usd(10), frozen: true });

    const lost = signedEvent('charge.dispute.closed', fake.closeDispute(dp2, 'lost'), SECRET);
    await Promise.all([lost, lost, opened2].map(deliverOk));
    await processed(lost.id);
    expect(await ledger.balances(user.id)).toEqual({ available: usd(15), held: 0n, disputed: 0n, receivable: 0n, frozen: false });
    expect(await journal(`dispute:${dp2}:lost`)).toEqual(lostWhole10);
    expect((await topupRow(second.id)).refunded).toBe(usd(10).toString());
    // The top-up history names each one's dispute and how it ended.
    const listed = await call<{ data: { id: string; dispute: string | null; refunded: number }[] }>(t, 'GET', '/api/v1/credits/topups', {
      cookie: user.cookie,
    });
    expect(listed.body.data.map((x) => [x.id, x.dispute, x.refunded])).toEqual([
      [second.id, 'lost', 10],
      [first.id, 'won', 0],
    ]);
  });

  it('the user stays frozen until the last open dispute closes, whatever order the events come in', async () => {
    const user = await signUp(t, 'dispute-two');
    const a = await topUp(user, 10);
    const b = await topUp(user, 10);
    const dpA = fake.addDispute(a.charge.id).id;
    const dpB = fake.addDispute(b.charge.id).id;
    fake.disputes.get(dpB)!.status = 'warning_needs_response';
    const openA = signedEvent('charge.dispute.created', fake.disputes.get(dpA)!, SECRET);
    const openB = signedEvent('charge.dispute.created', fake.disputes.get(dpB)!, SECRET);
    await Promise.all([openA, openB].map(deliverOk));
    await processed(openA.id, openB.id);
    expect(await ledger.balances(user.id)).toMatchObject({ available: 0n, disputed: usd(20), frozen: true });

    const wonA = signedEvent('charge.dispute.closed', fake.closeDispute(dpA, 'won'), SECRET);
    await deliverOk(wonA);
    await processed(wonA.id);
    expect(await ledger.balances(user.id)).toMatchObject({ available: usd(10), disputed: usd(10), frozen: true });

    // B's closing arrives, then a stale "created" for it: closed once, and the stale one changes nothing.
    const staleOpenB = signedEvent('charge.dispute.created', fake.disputes.get(dpB)!, SECRET);
    const lostB = signedEvent('charge.dispute.closed', fake.closeDispute(dpB, 'lost'), SECRET);
    await deliverOk(lostB);
    await processed(lostB.id);
    await deliverOk(staleOpenB);
    await processed(staleOpenB.id);
    expect(await ledger.balances(user.id)).toEqual({ available: usd(10), held: 0n, disputed: 0n, receivable: 0n, frozen: false });
    expect(await journalCount(`dispute:${dpB}:%`)).toBe(2);
  });

  it('a dispute closed before its "created" event was seen opens and closes in one go', async () => {
    const user = await signUp(t, 'dispute-late');
    const c = await topUp(user, 10);
    const dp = fake.addDispute(c.charge.id).id;
    const created = signedEvent('charge.dispute.created', fake.disputes.get(dp)!, SECRET);
    const lost = signedEvent('charge.dispute.closed', fake.closeDispute(dp, 'lost'), SECRET);
    await deliverOk(lost);
    await processed(lost.id);
    await deliverOk(created);
    await processed(created.id);
    expect(await ledger.balances(user.id)).toEqual({ available: 0n, held: 0n, disputed: 0n, receivable: 0n, frozen: false });
    expect(await journalCount(`dispute:${dp}:%`)).toBe(2);
  });

  it('dispute events are applied as Stripe shows the dispute now, not as their outdated snapshots say: outcome and fee booked once', async () => {
    const user = await signUp(t, 'dispute-stale');
    const a = await topUp(user, 10);
    const b = await topUp(user, 10);
    // Copies of both disputes taken before Stripe withdrew their funds and fee.
    const early = (dp: string) => ({ ...fake.disputes.get(dp)!, balance_transactions: [] });
    const dpA = fake.addDispute(a.charge.id).id;
    const dpB = fake.addDispute(b.charge.id).id;
    const earlyA = early(dpA);
    const earlyB = early(dpB);
    fake.closeDispute(dpA, 'lost');
    fake.closeDispute(dpB, 'lost');

    // A: the closing event still shows it needing a response; "created" and "updated" come after it.
    const closedA = signedEvent('charge.dispute.closed', earlyA, SECRET);
    await Promise.all([closedA, closedA].map(deliverOk));
    await processed(closedA.id);
    const createdA = signedEvent('charge.dispute.created', earlyA, SECRET);
    const updatedA = signedEvent('charge.dispute.updated', { ...earlyA, status: 'under_review' }, SECRET);
    await Promise.all([createdA, updatedA].map(deliverOk));
    await processed(createdA.id, updatedA.id);
    // B: the closing event says lost, but without the 15.00 fee Stripe took.
    const closedB = signedEvent('charge.dispute.closed', { ...earlyB, status: 'lost' }, SECRET);
    await deliverOk(closedB);
    await processed(closedB.id);

    expect(await ledger.balances(user.id)).toEqual({ available: 0n, held: 0n, disputed: 0n, receivable: 0n, frozen: false });
    const rows: { id: string; status: string }[] = await db.query(`SELECT id, status FROM disputes WHERE id = ANY($1) ORDER BY id`, [
      [dpA, dpB],
    ]);
    expect(rows.map((r) => r.status)).toEqual(['lost', 'lost']);
    for (const dp of [dpA, dpB]) {
      expect(await journalCount(`dispute:${dp}:%`)).toBe(2);
      expect(await journal(`dispute:${dp}:lost`)).toEqual(lostWhole10);
    }
  });

  // --- a refund that fails while a dispute is open ---
  // The refund took the credit first, so the dispute found nothing to set aside; when the refund
  // fails, the credit goes to the dispute, where it would have been without the refund.

  /** A refund of the whole credit, then a dispute of the charge (opened while nothing remains), then the refund fails. */
  async function refundDisputeFail(user: Parameters<Webhooks['topUp']>[0], amount: number, spent = 0n) {
    const c = await topUp(user, amount);
    if (spent > 0n) await spend(user.id, spent);
    const re = fake.addRefund(c.charge.id, amount * 100);
    const created = signedEvent('refund.created', re, SECRET);
    await Promise.all([created, created].map(deliverOk));
    await processed(created.id);

    const dp = fake.addDispute(c.charge.id).id;
    const opened = signedEvent('charge.dispute.created', fake.disputes.get(dp)!, SECRET);
    await Promise.all([opened, opened].map(deliverOk));
    await processed(opened.id);
    expect(await journal(`dispute:${dp}:open`)).toEqual({});
    expect((await ledger.balances(user.id)).frozen).toBe(true);

    fake.failRefund(re.id);
    const failed = signedEvent('refund.failed', re, SECRET);
    const updated = signedEvent('charge.refund.updated', re, SECRET);
    const staleOpen = signedEvent('charge.dispute.updated', fake.disputes.get(dp)!, SECRET);
    await Promise.all(shuffle([failed, failed, updated, updated, staleOpen]).map(deliverOk));
    await processed(failed.id, updated.id, staleOpen.id);
    expect(await journalCount(`refund-failed:${re.id}`)).toBe(1);
    expect((await topupRow(c.id)).refunded).toBe('0');
    return { c, re, dp, opened };
  }

  const disputeRow = async (dp: string) =>
    (
      await db.query(
        `SELECT status, from_available::text AS from_available, from_receivable::text AS from_receivable FROM disputes WHERE id = $1`,
        [dp],
      )
    )[0];

  it('refunded, then disputed, then the refund fails: the credit goes to the dispute, and a lost dispute takes it back', async () => {
    const user = await signUp(t, 'refund-fails-disputed');
    const { c, re, dp, opened } = await refundDisputeFail(user, 10);
    expect(await journal(`refund-failed:${re.id}`)).toEqual({ 'platform:stripe_clearing': -usd(10), 'user:disputed': usd(10) });
    expect(await ledger.balances(user.id)).toEqual({ available: 0n, held: 0n, disputed: usd(10), receivable: 0n, frozen: true });
    expect(await disputeRow(dp)).toEqual({ status: 'open', from_available: usd(10).toString(), from_receivable: '0' });

    const lost = signedEvent('charge.dispute.closed', fake.closeDispute(dp, 'lost'), SECRET);
    await Promise.all(shuffle([lost, lost, opened]).map(deliverOk));
    await processed(lost.id);
    // The user does not keep the 10 they never paid for; only the top-up fee comes out of fee revenue.
    expect(await ledger.balances(user.id)).toEqual({ available: 0n, held: 0n, disputed: 0n, receivable: 0n, frozen: false });
    expect(await journal(`dispute:${dp}:lost`)).toEqual(lostWhole10);
    expect((await topupRow(c.id)).refunded).toBe(usd(10).toString());
  });

  it('refunded after spending, then disputed, then the refund fails: the dispute holds the credit and the owed part, and a won dispute gives both back', async () => {
    const user = await signUp(t, 'refund-fails-disputed-won');
    // 5 of the 20 spent before the refund: the refund took the 15 available and booked 5 as owed.
    const { re, dp, opened } = await refundDisputeFail(user, 20, usd(5));
    expect(await journal(`refund-failed:${re.id}`)).toEqual({ 'platform:stripe_clearing': -usd(20), 'user:disputed': usd(20) });
    // As if the dispute had opened without the refund: 15 set aside from available, the 5 spent owed.
    expect(await ledger.balances(user.id)).toEqual({ available: 0n, held: 0n, disputed: usd(20), receivable: -usd(5), frozen: true });
    expect(await disputeRow(dp)).toEqual({ status: 'open', from_available: usd(15).toString(), from_receivable: usd(5).toString() });

    const won = signedEvent('charge.dispute.closed', fake.closeDispute(dp, 'won'), SECRET);
    await Promise.all(shuffle([won, won, opened]).map(deliverOk));
    await processed(won.id);
    expect(await ledger.balances(user.id)).toEqual({ available: usd(15), held: 0n, disputed: 0n, receivable: 0n, frozen: false });
    expect(await journalCount(`dispute:${dp}:%`)).toBe(2);
    expect(await journal(`dispute:${dp}:won`)).toMatchObject({
      'user:available': usd(15),
      'user:receivable': usd(5),
      'user:disputed': -usd(20),
    });
  });

  // --- edges of the API ---

  it('bad checkout input: 400 with field messages, and no top-up is recorded', async () => {
    const user = await signUp(t, 'topup-input');
    const cases: [unknown, RegExp][] = [
      [{ amount: 4.99 }, /between 5\.00 and 10000\.00/],
      [{ amount: 10000.01 }, /between 5\.00 and 10000\.00/],
      [{ amount: 5.001 }, /at most 2 decimals/],
      [{ amount: 1e-7 }, /at most 2 decimals/], // printed as "1e-7": once a 500 from class-validator
      [{ amount: '20' }, /number of USD/],
      [{ amount: -5 }, /positive/],
      [{}, /amount/],
      [{ amount: 20, currency: 'eur' }, /currency/],
    ];
    for (const [body, message] of cases) {
      const res = await call<{
        error: { code: number; message: string; metadata: { error_type: string; fields: { field: string; messages: string[] }[] } };
      }>(t, 'POST', '/api/v1/credits/checkout', { cookie: user.cookie, body });
      expect(res.status).toBe(400);
      expect(res.body.error.metadata.error_type).toBe('validation_failed');
      expect(res.body.error.metadata.fields.length).toBeGreaterThan(0);
      expect(JSON.stringify(res.body.error.metadata.fields)).toMatch(message);
    }
    expect(await db.query(`SELECT id FROM topups WHERE user_id = $1`, [user.id])).toEqual([]);
    expect((await call(t, 'POST', '/api/v1/credits/checkout', { body: { amount: 20 } })).status).toBe(401);
    expect((await call(t, 'GET', '/api/v1/credits/topups')).status).toBe(401);
  });

  it('a Stripe outage answers 502 without details; the top-up stays pending without a session', async () => {
    const user = await signUp(t, 'topup-outage');
    fake.failWith = 500;
    const res = await call<{ error: { message: string; metadata: { error_type: string } } }>(t, 'POST', '/api/v1/credits/checkout', {
      cookie: user.cookie,
      body: { amount: 20 },
    });
    expect(res.status).toBe(502);
    expect(res.body.error.metadata.error_type).toBe('provider_unavailable');
    expect(JSON.stringify(res.body)).not.toMatch(/fake Stripe outage|sk_test/);
    const rows: { status: string; checkout_session_id: string | null }[] = await db.query(
      `SELECT status, checkout_session_id FROM topups WHERE user_id = $1`,
      [user.id],
    );
    expect(rows).toEqual([{ status: 'pending', checkout_session_id: null }]);
  });

  it('without Stripe configured: checkout and webhook answer 503', async () => {
    const plain = await createTestApp({ imports: [TopupsModule], env: { WORKERS_ENABLED: 'false' } });
    try {
      const user = await signUp(plain, 'no-stripe');
      const res = await call<{ error: { message: string; metadata: { error_type: string } } }>(plain, 'POST', '/api/v1/credits/checkout', {
        cookie: user.cookie,
        body: { amount: 20 },
      });
      expect(res.status).toBe(503);
      expect(res.body.error).toMatchObject({ message: 'Card top-ups are not configured', metadata: { error_type: 'service_unavailable' } });
      const ev = signedEvent('checkout.session.completed', { id: 'cs_test_x', object: 'checkout.session' }, SECRET);
      const hook = await fetch(`${plain.url}/api/v1/webhooks/stripe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': ev.header },
        body: ev.payload,
      });
      expect(hook.status).toBe(503);
      expect(await db.query(`SELECT id FROM stripe_events WHERE id = $1`, [ev.id])).toEqual([]);
    } finally {
      await plain.close();
    }
  });
});
