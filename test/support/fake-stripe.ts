import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import Stripe from 'stripe';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = Record<string, any>;

export interface FakeStripeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** The form-encoded body, decoded into nested objects and arrays. */
  params: Json;
  idempotencyKey: string | null;
  authorization: string | null;
  stripeVersion: string | null;
  replayed: boolean;
}

/**
 * Stripe's API as far as Switchyard uses it, on a loopback port: Checkout Sessions (create,
 * retrieve), charges and refunds (retrieve, list), disputes (retrieve) and balance transactions
 * (list by type and `created`, cursor pages, `expand[]=data.source`). Paying, refunding and
 * disputing move the balance as Stripe does: a charge (with Stripe's 2.9% + 30c fee), a refund,
 * a refund_failure when it fails, an adjustment (with the 15.00 dispute fee) when a dispute
 * withdraws funds and another when a won dispute reinstates them. Honours Idempotency-Key like
 * Stripe (same key and parameters -> the first response again; other parameters -> 400). Tests
 * change the stored objects directly.
 */
export interface FakeStripe {
  url: string;
  requests: FakeStripeRequest[];
  sessions: Map<string, Json>;
  charges: Map<string, Json>;
  refunds: Map<string, Json>;
  disputes: Map<string, Json>;
  /** Oldest first; the list endpoint serves them newest first. */
  balanceTransactions: Map<string, Json>;
  /** Answer every API call with this status (an outage), without asking the client to retry. */
  failWith: number | null;
  /** Marks a session paid (Checkout completed); overrides change what Stripe would report. */
  markPaid(sessionId: string, overrides?: Json): Json;
  /** The charge that pays a session (created with it). */
  chargeFor(sessionId: string): Json;
  addRefund(chargeId: string, amount: number, status?: string): Json;
  /** A refund that failed after it was made: Stripe returns its amount to the balance. */
  failRefund(refundId: string): Json;
  /** A dispute on a charge (its whole amount by default), its funds and fee withdrawn. */
  addDispute(chargeId: string, amount?: number): Json;
  /** Won reinstates the disputed funds (the fee stays taken, as in the US); lost keeps them. */
  closeDispute(disputeId: string, outcome: 'won' | 'lost'): Json;
  close(): Promise<void>;
}

const id = (prefix: string) => `${prefix}_test_${randomBytes(12).toString('hex')}`;

/** `a[b][0][c]=v&...` -> { a: { b: [ { c: 'v' } ] } }, as Stripe reads form bodies. */
export function parseStripeForm(body: string): Json {
  const root: Json = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const path = key.replace(/\]/g, '').split('[');
    let node: Json = root;
    path.forEach((part, i) => {
      if (i === path.length - 1) node[part] = value;
      else node = node[part] ??= {};
    });
  }
  const arrays = (v: unknown): unknown => {
    if (!v || typeof v !== 'object') return v;
    const o = v as Json;
    const keys = Object.keys(o);
    for (const k of keys) o[k] = arrays(o[k]);
    return keys.length > 0 && keys.every((k, i) => k === String(i)) ? keys.map((k) => o[k]) : o;
  };
  return arrays(root) as Json;
}

const list = (url: string, data: Json[]) => ({ object: 'list', url, has_more: false, data });

const now = () => Math.floor(Date.now() / 1000);
const DISPUTE_FEE = 1500;

export async function startFakeStripe(): Promise<FakeStripe> {
  const requests: FakeStripeRequest[] = [];
  const sessions = new Map<string, Json>();
  const charges = new Map<string, Json>();
  const refunds = new Map<string, Json>();
  const disputes = new Map<string, Json>();
  const balanceTransactions = new Map<string, Json>();
  const idempotent = new Map<string, { params: string; status: number; body: Json }>();
  const sockets = new Set<Socket>();

  const fake: FakeStripe = {
    url: '',
    requests,
    sessions,
    charges,
    refunds,
    disputes,
    balanceTransactions,
    failWith: null,
    markPaid(sessionId, overrides = {}) {
      const s = sessions.get(sessionId);
      if (!s) throw new Error(`no session ${sessionId}`);
      Object.assign(s, { payment_status: 'paid', status: 'complete' }, overrides);
      const charge = charges.get(s._charge as string);
      if (charge && !charge.paid) {
        Object.assign(charge, { paid: true, status: 'succeeded' });
        charge.balance_transaction = move(
          'charge',
          charge.id,
          charge.amount,
          Math.round(charge.amount * 0.029) + 30,
          charge.currency,
          'charge',
        ).id;
      }
      return s;
    },
    chargeFor(sessionId) {
      const s = sessions.get(sessionId);
      if (!s) throw new Error(`no session ${sessionId}`);
      return charges.get(s._charge as string)!;
    },
    addRefund(chargeId, amount, status = 'succeeded') {
      const charge = charges.get(chargeId);
      if (!charge) throw new Error(`no charge ${chargeId}`);
      const refund = {
        id: id('re'),
        object: 'refund',
        amount,
        currency: charge.currency,
        charge: chargeId,
        payment_intent: charge.payment_intent,
        status,
        metadata: {},
        created: now(),
        balance_transaction: move('refund', null, -amount, 0, charge.currency, 'refund').id,
        failure_balance_transaction: null as string | null,
      };
      refunds.set(refund.id, refund);
      balanceTransactions.get(refund.balance_transaction)!.source = refund.id;
      if (status === 'failed') fake.failRefund(refund.id);
      refreshRefunded(charge);
      return refund;
    },
    failRefund(refundId) {
      const refund = refunds.get(refundId);
      if (!refund) throw new Error(`no refund ${refundId}`);
      refund.status = 'failed';
      refund.failure_reason ??= 'expired_or_canceled_card';
      refund.failure_balance_transaction ??= move('refund_failure', refund.id, refund.amount, 0, refund.currency, 'refund_failure').id;
      refreshRefunded(charges.get(refund.charge)!);
      return refund;
    },
    addDispute(chargeId, amount) {
      const charge = charges.get(chargeId);
      if (!charge) throw new Error(`no charge ${chargeId}`);
      const disputed = amount ?? charge.amount;
      const dispute = {
        id: id('dp'),
        object: 'dispute',
        amount: disputed,
        currency: charge.currency,
        charge: chargeId,
        payment_intent: charge.payment_intent,
        status: 'needs_response',
        reason: 'fraudulent',
        created: now(),
        is_charge_refundable: false,
        balance_transactions: [] as Json[],
      };
      disputes.set(dispute.id, dispute);
      dispute.balance_transactions.push(move('adjustment', dispute.id, -disputed, DISPUTE_FEE, charge.currency, 'dispute'));
      charge.disputed = true;
      return dispute;
    },
    closeDispute(disputeId, outcome) {
      const dispute = disputes.get(disputeId);
      if (!dispute) throw new Error(`no dispute ${disputeId}`);
      dispute.status = outcome;
      if (outcome === 'won')
        dispute.balance_transactions.push(move('adjustment', dispute.id, dispute.amount, 0, dispute.currency, 'dispute_reversal'));
      return dispute;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  /** A movement of the account's balance, as Stripe records it. */
  const move = (type: string, source: string | null, amount: number, fee: number, currency: string, category: string): Json => {
    const tx = {
      id: id('txn'),
      object: 'balance_transaction',
      amount,
      available_on: now() + 2 * 86_400,
      created: now(),
      currency,
      description: null,
      exchange_rate: null,
      fee,
      fee_details: fee
        ? [
            {
              amount: fee,
              application: null,
              currency,
              description: category === 'dispute' ? 'Dispute fee' : 'Stripe processing fees',
              type: 'stripe_fee',
            },
          ]
        : [],
      net: amount - fee,
      reporting_category: category,
      source,
      status: 'pending',
      type,
    };
    balanceTransactions.set(tx.id, tx);
    return tx;
  };

  const refreshRefunded = (charge: Json) => {
    charge.amount_refunded = [...refunds.values()]
      .filter((r) => r.charge === charge.id && r.status === 'succeeded')
      .reduce((s, r) => s + r.amount, 0);
    charge.refunded = charge.amount_refunded >= charge.amount;
  };

  /** `GET /v1/balance_transactions`: newest first, `limit` per page, the next page after `starting_after`. */
  const listBalanceTransactions = (query: Record<string, string>): { status: number; body: Json } => {
    const q = parseStripeForm(new URLSearchParams(query).toString());
    const gte = q.created?.gte !== undefined ? Number(q.created.gte) : -Infinity;
    const limit = Math.min(Math.max(Number(q.limit ?? 10), 1), 100);
    const all = [...balanceTransactions.values()].reverse().filter((t) => (!q.type || t.type === q.type) && t.created >= gte);
    const start = q.starting_after ? all.findIndex((t) => t.id === q.starting_after) + 1 : 0;
    if (q.starting_after && start === 0)
      return {
        status: 400,
        body: { error: { type: 'invalid_request_error', message: `No such balance_transaction: '${q.starting_after}'` } },
      };
    const expand = ([] as string[]).concat(q.expand ?? []).includes('data.source');
    const sourceOf = (sid: string | null) => (sid && (charges.get(sid) ?? refunds.get(sid) ?? disputes.get(sid))) || sid;
    const data = all.slice(start, start + limit).map((t) => (expand ? { ...t, source: sourceOf(t.source) } : t));
    return { status: 200, body: { ...list('/v1/balance_transactions', data), has_more: start + limit < all.length } };
  };

  const createSession = (p: Json): Json => {
    const items = (p.line_items ?? []) as Json[];
    const total = items.reduce((s, li) => s + Number(li.price_data?.unit_amount ?? 0) * Number(li.quantity ?? 1), 0);
    const currency = items[0]?.price_data?.currency ?? 'usd';
    const sessionId = id('cs');
    const paymentIntent = id('pi');
    const charge = {
      id: id('ch'),
      object: 'charge',
      amount: total,
      amount_refunded: 0,
      currency,
      paid: false,
      refunded: false,
      status: 'pending',
      payment_intent: paymentIntent,
      balance_transaction: null,
      created: now(),
      // Stripe copies the PaymentIntent's metadata onto its charges.
      metadata: { ...(p.payment_intent_data?.metadata ?? {}) },
    };
    charges.set(charge.id, charge);
    const session = {
      id: sessionId,
      object: 'checkout.session',
      mode: p.mode,
      url: `https://checkout.stripe.com/c/pay/${sessionId}`,
      amount_subtotal: total,
      amount_total: total,
      currency,
      payment_status: 'unpaid',
      status: 'open',
      client_reference_id: p.client_reference_id ?? null,
      metadata: p.metadata ?? {},
      payment_intent: paymentIntent,
      created: now(),
      success_url: p.success_url,
      cancel_url: p.cancel_url,
      _line_items: items,
      _charge: charge.id,
    };
    sessions.set(sessionId, session);
    return session;
  };

  const publicView = (o: Json): Json => Object.fromEntries(Object.entries(o).filter(([k]) => !k.startsWith('_')));

  const route = (method: string, path: string, query: Record<string, string>, params: Json): { status: number; body: Json } => {
    const notFound = (what: string) => ({
      status: 404,
      body: { error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such ${what}` } },
    });
    if (method === 'POST' && path === '/v1/checkout/sessions') return { status: 200, body: publicView(createSession(params)) };
    let m = /^\/v1\/checkout\/sessions\/([^/]+)$/.exec(path);
    if (method === 'GET' && m) {
      const s = sessions.get(m[1]);
      return s ? { status: 200, body: publicView(s) } : notFound('checkout.session');
    }
    m = /^\/v1\/charges\/([^/]+)$/.exec(path);
    if (method === 'GET' && m) {
      const c = charges.get(m[1]);
      return c ? { status: 200, body: c } : notFound('charge');
    }
    m = /^\/v1\/refunds\/([^/]+)$/.exec(path);
    if (method === 'GET' && m) {
      const r = refunds.get(m[1]);
      return r ? { status: 200, body: r } : notFound('refund');
    }
    m = /^\/v1\/disputes\/([^/]+)$/.exec(path);
    if (method === 'GET' && m) {
      const d = disputes.get(m[1]);
      return d ? { status: 200, body: d } : notFound('dispute');
    }
    if (method === 'GET' && path === '/v1/balance_transactions') return listBalanceTransactions(query);
    if (method === 'GET' && path === '/v1/refunds') {
      const data = [...refunds.values()].filter((r) => !query.charge || r.charge === query.charge).reverse();
      return { status: 200, body: list('/v1/refunds', data) };
    }
    return { status: 404, body: { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${path})` } } };
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://fake');
      const params = parseStripeForm(Buffer.concat(chunks).toString('utf8'));
      const key = (req.headers['idempotency-key'] as string | undefined) ?? null;
      const entry: FakeStripeRequest = {
        method: req.method ?? 'GET',
        path: u.pathname,
        query: Object.fromEntries(u.searchParams),
        params,
        idempotencyKey: key,
        authorization: (req.headers.authorization as string | undefined) ?? null,
        stripeVersion: (req.headers['stripe-version'] as string | undefined) ?? null,
        replayed: false,
      };
      requests.push(entry);
      const send = (status: number, body: Json, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', 'request-id': id('req'), ...headers });
        res.end(JSON.stringify(body));
      };
      if (fake.failWith !== null) {
        send(fake.failWith, { error: { type: 'api_error', message: 'fake Stripe outage' } }, { 'stripe-should-retry': 'false' });
        return;
      }
      if (entry.method === 'POST' && key) {
        const seen = idempotent.get(key);
        const fingerprint = JSON.stringify(params);
        if (seen) {
          if (seen.params !== fingerprint) {
            send(400, {
              error: {
                type: 'idempotency_error',
                message: 'Keys for idempotent requests can only be used with the same parameters they were first used with.',
              },
            });
            return;
          }
          entry.replayed = true;
          send(seen.status, seen.body, { 'idempotent-replayed': 'true' });
          return;
        }
        const out = route(entry.method, entry.path, entry.query, params);
        idempotent.set(key, { params: fingerprint, ...out });
        send(out.status, out.body);
        return;
      }
      const out = route(entry.method, entry.path, entry.query, params);
      send(out.status, out.body);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

export interface SignedEvent {
  id: string;
  payload: string;
  header: string;
}

/** A webhook delivery as Stripe sends it: the event JSON and its `Stripe-Signature` header. */
export function signedEvent(type: string, object: Json, secret: string, opts: { timestamp?: number; id?: string } = {}): SignedEvent {
  const eventId = opts.id ?? id('evt');
  const payload = JSON.stringify({
    id: eventId,
    object: 'event',
    api_version: '2026-10-28.endive',
    created: Math.floor(Date.now() / 1000),
    type,
    data: { object: Object.fromEntries(Object.entries(object).filter(([k]) => !k.startsWith('_'))) },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
  });
  const header = Stripe.webhooks.generateTestHeaderString({
    payload,
    secret,
    ...(opts.timestamp !== undefined ? { timestamp: opts.timestamp } : {}),
  });
  return { id: eventId, payload, header };
}
