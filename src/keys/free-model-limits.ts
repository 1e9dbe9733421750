import { Injectable, Optional } from '@nestjs/common';
import { Clock } from '../common/clock/clock';
import { rateLimitError } from '../common/errors/rate-limit-error';
import { usdToNanos } from '../common/money/money';
import { LimitRule, RateLimiter } from '../common/redis/rate-limiter';
import { PurchaseHistory } from './purchase-history';

/** OpenRouter's published limits for `:free` model variants. */
export const FREE_MODELS = {
  perMinute: 20,
  perDay: 50,
  perDayAfterPurchase: 1000,
  purchaseThreshold: usdToNanos(10),
} as const;

/**
 * Requests to `:free` models per user: 20 a minute, 50 a day, or 1000 a day once the user has
 * bought at least $10 of credits. Days are UTC days.
 */
@Injectable()
export class FreeModelLimits {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly clock: Clock,
    @Optional() private readonly purchases?: PurchaseHistory,
  ) {}

  /** A `:free` request of this user counted against its limits (its tier by what it bought); throws the 429. */
  async checkUser(userId: string): Promise<void> {
    await this.check(userId, (await this.purchases?.purchasedNanos(userId)) ?? 0n);
  }

  async check(userId: string, purchasedNanos: bigint): Promise<void> {
    const d = await this.limiter.hit([
      { name: 'free-models-per-min', subject: userId, max: FREE_MODELS.perMinute, windowMs: 60_000 },
      dailyRule(userId, purchasedNanos),
    ]);
    if (d.allowed !== false) return;
    const hint = d.blockedBy.name === 'free-models-per-day' ? '. Add 10 credits to unlock 1000 free model requests per day' : '';
    throw rateLimitError(d.blockedBy, this.clock.nowMs(), `Rate limit exceeded: ${d.blockedBy.name}${hint}`);
  }

  /**
   * Today's `:free` requests as check() counts them (in the user's current tier). While Redis cannot
   * answer, nothing is counted or enforced, and this reports the day's whole allowance as left.
   */
  async daily(userId: string, purchasedNanos: bigint): Promise<FreeModelDay> {
    const rule = dailyRule(userId, purchasedNanos);
    const remaining = (await this.limiter.peek([rule]))?.[0].remaining ?? rule.max;
    return { limit: rule.max, used: rule.max - remaining, remaining };
  }
}

export interface FreeModelDay {
  limit: number;
  used: number;
  remaining: number;
}

/** The per-day window: its own counter per tier, so buying credits starts the larger allowance afresh. */
function dailyRule(userId: string, purchasedNanos: bigint): LimitRule {
  const high = purchasedNanos >= FREE_MODELS.purchaseThreshold;
  return {
    name: high ? 'free-models-per-day-high-balance' : 'free-models-per-day',
    subject: userId,
    max: high ? FREE_MODELS.perDayAfterPurchase : FREE_MODELS.perDay,
    windowMs: 86_400_000,
  };
}
