import { Injectable } from '@nestjs/common';
import Stripe from 'stripe';
import { AppConfig } from '../../common/config/app-config';
import { StripeApiError, WebhookSignatureError } from './topups.errors';

/**
 * The only place that talks to Stripe. Everything else sees these small views, read the same way
 * from API responses and from webhook payloads (the JSON shapes are the same).
 */

type Json = Record<string, unknown>;

export interface CheckoutSessionView {
  id: string;
  clientReferenceId: string | null;
  topupId: string | null;
  paymentStatus: string | null;
  amountTotal: number | null;
  currency: string | null;
  paymentIntentId: string | null;
  url: string | null;
  /** Unix seconds. */
  created: number;
}

export interface RefundView {
  id: string;
  amount: number;
  currency: string | null;
  status: string | null;
  chargeId: string | null;
  paymentIntentId: string | null;
  /** Unix seconds. */
  created: number;
}

export interface ChargeView {
  id: string;
  topupId: string | null;
  paymentIntentId: string | null;
}

/** A dispute carries what a refund does about the charge it takes back, plus Stripe's fees. */
export interface DisputeView extends RefundView {
  /** Stripe's dispute fees, net of fees returned, in cents (from the balance transactions). */
  feeCents: number;
}

/** A movement of our Stripe balance, with the object that caused it when it was expanded. */
export interface BalanceTransactionView {
  id: string;
  type: string;
  /** Gross, in cents: negative for money leaving the balance. */
  amount: number;
  fee: number;
  net: number;
  currency: string | null;
  created: number;
  sourceId: string | null;
  /** The charge, refund or dispute, when listed with `expand: ['data.source']`. */
  source: Json | null;
}

export function balanceTransactionView(o: Json): BalanceTransactionView {
  const source = o.source && typeof o.source === 'object' ? obj(o.source) : null;
  return {
    id: str(o, 'id') ?? '',
    type: str(o, 'type') ?? '',
    amount: num(o, 'amount') ?? 0,
    fee: num(o, 'fee') ?? 0,
    net: num(o, 'net') ?? 0,
    currency: str(o, 'currency'),
    created: num(o, 'created') ?? 0,
    sourceId: ref(o, 'source'),
    source,
  };
}

export interface VerifiedEvent {
  id: string;
  type: string;
  payload: Json;
}

export interface CheckoutSessionInput {
  topupId: string;
  amountCents: number;
  feeCents: number;
  currency: string;
  successUrl: string;
  cancelUrl: string;
}

const str = (o: Json, k: string): string | null => (typeof o[k] === 'string' ? (o[k] as string) : null);
const num = (o: Json, k: string): number | null => (typeof o[k] === 'number' ? (o[k] as number) : null);
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
/** An id field that may also come expanded into the object it names. */
const ref = (o: Json, k: string): string | null => str(o, k) ?? str(obj(o[k]), 'id');

export function sessionView(o: Json): CheckoutSessionView {
  return {
    id: str(o, 'id') ?? '',
    clientReferenceId: str(o, 'client_reference_id'),
    topupId: str(o, 'client_reference_id') ?? str(obj(o.metadata), 'topup_id'),
    paymentStatus: str(o, 'payment_status'),
    amountTotal: num(o, 'amount_total'),
    currency: str(o, 'currency'),
    paymentIntentId: ref(o, 'payment_intent'),
    url: str(o, 'url'),
    created: num(o, 'created') ?? 0,
  };
}

export function refundView(o: Json): RefundView {
  return {
    id: str(o, 'id') ?? '',
    amount: num(o, 'amount') ?? 0,
    currency: str(o, 'currency'),
    status: str(o, 'status'),
    chargeId: ref(o, 'charge'),
    paymentIntentId: ref(o, 'payment_intent'),
    created: num(o, 'created') ?? 0,
  };
}

export function chargeView(o: Json): ChargeView {
  return { id: str(o, 'id') ?? '', topupId: str(obj(o.metadata), 'topup_id'), paymentIntentId: ref(o, 'payment_intent') };
}

export function disputeView(o: Json): DisputeView {
  const txs = Array.isArray(o.balance_transactions) ? o.balance_transactions : [];
  const feeCents = txs.reduce<number>((sum, t) => sum + (num(obj(t), 'fee') ?? 0), 0);
  return { ...refundView(o), feeCents };
}

/** The object an event is about (`data.object`). */
export function eventObject(payload: Json): Json {
  return obj(obj(payload.data).object);
}

@Injectable()
export class StripeClient {
  private readonly sdk: Stripe | null;
  private readonly webhookSecret: string;

  constructor(config: AppConfig) {
    this.webhookSecret = config.stripe?.webhookSecret ?? '';
    if (!config.stripe) {
      this.sdk = null;
      return;
    }
    const base = config.stripe.apiBase ? new URL(config.stripe.apiBase) : null;
    this.sdk = new Stripe(config.stripe.secretKey, {
      // Every POST carries an idempotency key derived from our row, so retries cannot duplicate.
      maxNetworkRetries: 2,
      timeout: 20_000,
      telemetry: false,
      appInfo: { name: 'switchyard' },
      ...(base
        ? {
            host: base.hostname,
            port: base.port || (base.protocol === 'http:' ? 80 : 443),
            protocol: base.protocol === 'http:' ? ('http' as const) : ('https' as const),
          }
        : {}),
    });
  }

  get configured(): boolean {
    return this.sdk !== null;
  }

  /** Checks the signature over the exact bytes received; any failure is a WebhookSignatureError. */
  verifyEvent(rawBody: Buffer | undefined, signature: string | undefined): VerifiedEvent {
    if (!rawBody || rawBody.length === 0) throw new WebhookSignatureError('no body');
    if (!signature) throw new WebhookSignatureError('no Stripe-Signature header');
    let event: Stripe.Event;
    try {
      event = this.client().webhooks.constructEvent(rawBody, signature, this.webhookSecret);
    } catch (err) {
      throw new WebhookSignatureError((err as Error).message);
    }
    if (typeof event.id !== 'string' || typeof event.type !== 'string') throw new WebhookSignatureError('not an event');
    return { id: event.id, type: event.type, payload: event as unknown as Json };
  }

  async createCheckoutSession(input: CheckoutSessionInput, idempotencyKey: string): Promise<CheckoutSessionView> {
    const metadata = { topup_id: input.topupId };
    const session = await this.call(() =>
      this.client().checkout.sessions.create(
        {
          mode: 'payment',
          line_items: [
            {
              price_data: { currency: input.currency, product_data: { name: 'Switchyard credits' }, unit_amount: input.amountCents },
              quantity: 1,
            },
            { price_data: { currency: input.currency, product_data: { name: 'Top-up fee' }, unit_amount: input.feeCents }, quantity: 1 },
          ],
          client_reference_id: input.topupId,
          metadata,
          // Stripe copies these onto the charge, so refunds and disputes lead back to the top-up.
          payment_intent_data: { metadata },
          success_url: input.successUrl,
          cancel_url: input.cancelUrl,
        },
        { idempotencyKey },
      ),
    );
    return sessionView(session as unknown as Json);
  }

  async retrieveCheckoutSession(id: string): Promise<CheckoutSessionView> {
    const session = await this.call(() => this.client().checkout.sessions.retrieve(id));
    return sessionView(session as unknown as Json);
  }

  async retrieveCharge(id: string): Promise<ChargeView> {
    const charge = await this.call(() => this.client().charges.retrieve(id));
    return chargeView(charge as unknown as Json);
  }

  async retrieveRefund(id: string): Promise<RefundView> {
    const refund = await this.call(() => this.client().refunds.retrieve(id));
    return refundView(refund as unknown as Json);
  }

  /** Every refund of a charge (all pages). */
  async listRefunds(chargeId: string): Promise<RefundView[]> {
    return this.call(async () => {
      const out: RefundView[] = [];
      for await (const r of this.client().refunds.list({ charge: chargeId, limit: 100 })) out.push(refundView(r as unknown as Json));
      return out;
    });
  }

  async retrieveDispute(id: string): Promise<DisputeView> {
    const dispute = await this.call(() => this.client().disputes.retrieve(id));
    return disputeView(dispute as unknown as Json);
  }

  /** Balance transactions of one type created at or after `since` (all pages), with their sources. */
  async listBalanceTransactions(type: string, since: Date, pageSize = 100): Promise<BalanceTransactionView[]> {
    return this.call(async () => {
      const out: BalanceTransactionView[] = [];
      const params = { type, created: { gte: Math.floor(since.getTime() / 1000) }, limit: pageSize, expand: ['data.source'] };
      for await (const t of this.client().balanceTransactions.list(params)) out.push(balanceTransactionView(t as unknown as Json));
      return out;
    });
  }

  private client(): Stripe {
    if (!this.sdk) throw new StripeApiError('Stripe is not configured', null);
    return this.sdk;
  }

  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof StripeApiError) throw err;
      const e = err as { message?: string; statusCode?: number; type?: string };
      throw new StripeApiError(
        `${e.type ?? 'StripeError'}: ${e.message ?? String(err)}`,
        typeof e.statusCode === 'number' ? e.statusCode : null,
      );
    }
  }
}
