import { DataSource } from 'typeorm';
import { CheckoutDto } from '../../src/credits/topups/dto/topup.dto';
import { call, SignedUpUser } from './factories';
import { FakeStripe, signedEvent, SignedEvent } from './fake-stripe';
import { TestApp } from './test-app';

/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * Drives card money through the real path: checkout over HTTP, the fake Stripe's objects, signed
 * webhook deliveries, and the worker's processing of the stored events.
 */
export function stripeWebhooks(t: TestApp, fake: FakeStripe, secret: string) {
  const db = t.get(DataSource);

  const deliver = (ev: { payload: string; header?: string | null }) =>
    fetch(`${t.url}/api/v1/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', ...(ev.header ? { 'stripe-signature': ev.header } : {}) },
      body: ev.payload,
    });

  const deliverOk = async (ev: SignedEvent) => {
    const res = await deliver(ev);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: true });
  };

  /** Waits until Bull has processed every one of these events. */
  async function processed(...ids: string[]): Promise<void> {
    const until = Date.now() + 20_000;
    let rows: { id: string; processed_at: Date | null; last_error: string | null }[] = [];
    while (Date.now() < until) {
      rows = await db.query(`SELECT id, processed_at, last_error FROM stripe_events WHERE id = ANY($1)`, [ids]);
      if (rows.length === new Set(ids).size && rows.every((r) => r.processed_at)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`events not processed: ${JSON.stringify(rows)}`);
  }

  /** Delivers one event about this object and waits for it to be applied. */
  async function send(type: string, object: Record<string, any>): Promise<void> {
    const ev = signedEvent(type, object, secret);
    await deliverOk(ev);
    await processed(ev.id);
  }

  async function checkout(user: SignedUpUser, amount: number): Promise<CheckoutDto & { session: string }> {
    const res = await call<{ data: CheckoutDto }>(t, 'POST', '/api/v1/credits/checkout', { cookie: user.cookie, body: { amount } });
    expect(res.status).toBe(201);
    const rows: { checkout_session_id: string }[] = await db.query(`SELECT checkout_session_id FROM topups WHERE id = $1`, [
      res.body.data.id,
    ]);
    return { ...res.body.data, session: rows[0].checkout_session_id };
  }

  const sessionEvent = (type: string, session: string, key = secret, opts: { timestamp?: number } = {}) =>
    signedEvent(type, fake.sessions.get(session)!, key, opts);

  /** Checkout, pay, deliver `checkout.session.completed`, wait: a credited top-up. */
  async function topUp(user: SignedUpUser, amount: number) {
    const c = await checkout(user, amount);
    fake.markPaid(c.session);
    const ev = sessionEvent('checkout.session.completed', c.session);
    await deliverOk(ev);
    await processed(ev.id);
    return { ...c, charge: fake.chargeFor(c.session) };
  }

  return { deliver, deliverOk, processed, send, checkout, sessionEvent, topUp };
}
