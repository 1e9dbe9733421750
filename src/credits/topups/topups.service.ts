import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../common/config/app-config';
import { decodeCursor, encodeCursor } from '../../common/database/keyset-cursor';
import { AppLogger } from '../../common/logging/app-logger';
import { nanosToUsd } from '../../common/money/money';
import { CheckoutDto, TopupDto, TopupQuoteDto } from './dto/topup.dto';
import { StripeClient } from './stripe.client';
import { centsToUsd, topupFeeCents, usdToCents } from './topup-pricing';
import { StripeApiError, TopupsErrors } from './topups.errors';
import { TopupRow, TopupsRepository } from './topups.repository';

const CURRENCY = 'usd';

/**
 * Where Stripe's hosted Checkout pages live. A page whose form leads there (through our 303) must
 * name it in its CSP form-action, which browsers apply to the redirects after a form post too.
 */
export const STRIPE_CHECKOUT_ORIGIN = 'https://checkout.stripe.com';

/** Starting card top-ups (Stripe Checkout) and listing them. Crediting happens on Stripe's word only. */
@Injectable()
export class TopupsService {
  private readonly log: AppLogger;

  constructor(
    private readonly repo: TopupsRepository,
    private readonly stripe: StripeClient,
    private readonly config: AppConfig,
    logger: AppLogger,
  ) {
    this.log = logger.child({ component: 'topups' });
  }

  /**
   * Records the top-up (amount and fee decided here, once) and opens its Checkout Session. The
   * idempotency key comes from the row, so a retried Stripe call cannot open a second session.
   */
  async checkout(userId: string, amountUsd: number): Promise<CheckoutDto> {
    if (!this.stripe.configured) throw TopupsErrors.notConfigured();
    const { amountCents, feeCents } = this.price(amountUsd);
    const topup = await this.repo.insertPending(userId, amountCents, feeCents, CURRENCY);
    const base = this.config.http.publicUrl;
    let session;
    try {
      session = await this.stripe.createCheckoutSession(
        {
          topupId: topup.id,
          amountCents,
          feeCents,
          currency: CURRENCY,
          successUrl: `${base}/credits?topup=${topup.id}`,
          cancelUrl: `${base}/credits?cancelled=${topup.id}`,
        },
        `topup:${topup.id}:session`,
      );
    } catch (err) {
      if (!(err instanceof StripeApiError)) throw err;
      // The row stays pending without a session; it is never credited (nothing can pay it).
      this.log.warn({ topup: topup.id, status: err.statusCode, err: err.message }, 'could not create the checkout session');
      throw TopupsErrors.paymentProviderUnavailable();
    }
    if (!session.id || !session.url) {
      this.log.warn({ topup: topup.id, session: session.id }, 'checkout session came back without an id or url');
      throw TopupsErrors.paymentProviderUnavailable();
    }
    await this.repo.setCheckoutSession(topup.id, session.id);
    this.log.info(
      { topup: topup.id, user: userId, session: session.id, amount_cents: amountCents, fee_cents: feeCents },
      'checkout session created',
    );
    return {
      id: topup.id,
      url: session.url,
      amount: centsToUsd(amountCents),
      fee: centsToUsd(feeCents),
      total: centsToUsd(amountCents + feeCents),
      currency: CURRENCY,
    };
  }

  /** Whether card top-ups can be paid here (Stripe keys configured). */
  get configured(): boolean {
    return this.stripe.configured;
  }

  /** The smallest and largest top-up accepted, in USD. */
  get bounds(): { min: number; max: number } {
    return { min: centsToUsd(this.config.topups.minCents), max: centsToUsd(this.config.topups.maxCents) };
  }

  /** What a top-up of this amount would cost, by the rule checkout charges (range check included). */
  quote(amountUsd: number): TopupQuoteDto {
    const { amountCents, feeCents } = this.price(amountUsd);
    return { amount: centsToUsd(amountCents), fee: centsToUsd(feeCents), total: centsToUsd(amountCents + feeCents), currency: CURRENCY };
  }

  /** One top-up of the user (the Checkout return pages show its state); another user's is null. */
  async getOwned(userId: string, id: string): Promise<TopupDto | null> {
    const row = await this.repo.findById(id);
    if (!row || row.userId !== userId) return null;
    return toDto(row, (await this.repo.disputeStatuses(userId, [row.id])).get(row.id) ?? null);
  }

  private price(amountUsd: number): { amountCents: number; feeCents: number } {
    const { minCents, maxCents } = this.config.topups;
    const amountCents = usdToCents(amountUsd);
    if (amountCents === null || amountCents < minCents || amountCents > maxCents) {
      throw TopupsErrors.amountOutOfRange(centsToUsd(minCents).toFixed(2), centsToUsd(maxCents).toFixed(2));
    }
    return { amountCents, feeCents: topupFeeCents(amountCents, this.config.topups) };
  }

  /** The user's top-ups, newest first, a page at a time (`next` is the cursor of the following page). */
  async list(userId: string, limit: number, before?: string): Promise<{ data: TopupDto[]; next: string | null }> {
    const rows = await this.repo.listForUser(userId, limit + 1, before ? decodeCursor(before) : null);
    const page = rows.slice(0, limit);
    const disputes = await this.repo.disputeStatuses(
      userId,
      page.map((r) => r.topup.id),
    );
    return {
      data: page.map((r) => toDto(r.topup, disputes.get(r.topup.id) ?? null)),
      next: rows.length > limit ? encodeCursor(page[page.length - 1].position) : null,
    };
  }
}

function toDto(t: TopupRow, dispute: TopupDto['dispute']): TopupDto {
  return {
    id: t.id,
    amount: centsToUsd(t.amountCents),
    fee: centsToUsd(t.feeCents),
    total: centsToUsd(t.amountCents + t.feeCents),
    currency: t.currency,
    status: t.status,
    refunded: nanosToUsd(t.refundedNanos),
    created_at: t.createdAt.toISOString(),
    credited_at: t.creditedAt ? t.creditedAt.toISOString() : null,
    dispute,
  };
}
