import { Injectable } from '@nestjs/common';
import { nanosToUsd } from '../common/money/money';
import { CreditsService } from '../credits/credits.service';
import { TopupsService } from '../credits/topups/topups.service';
import { CapsService } from '../keys/caps.service';

/** Preset top-up amounts (USD) offered as one-click choices next to the custom amount. */
export const TOPUP_PRESETS = [10, 25, 50, 100];

/**
 * The console pages about money: Credits (top-ups, the ledger, the fee before paying) and Limits
 * (the user's spending caps and what is left of them). Balances, fees and caps are computed by
 * credits and keys, never here.
 */
@Injectable()
export class CreditsPages {
  constructor(
    private readonly credits: CreditsService,
    private readonly topups: TopupsService,
    private readonly caps: CapsService,
  ) {}

  async creditsPage(userId: string, q: { before?: string; ledgerBefore?: string; topupId?: string }) {
    const [topups, ledger, returned] = await Promise.all([
      this.topups.list(userId, 20, q.before),
      this.credits.history(userId, 25, q.ledgerBefore),
      q.topupId ? this.topups.getOwned(userId, q.topupId) : Promise.resolve(null),
    ]);
    return { topups, ledger, returned, configured: this.topups.configured, bounds: this.topups.bounds, presets: TOPUP_PRESETS };
  }

  /** The fee and total of a top-up before paying: TopupsService.quote, the rule checkout charges. */
  quote(amountUsd: number) {
    return this.topups.quote(amountUsd);
  }

  async limits(userId: string) {
    const u = await this.caps.userCounters(userId);
    const held = u?.held ?? 0n;
    const one = (label: string, name: string, cap: bigint | null, used: bigint) => ({
      label,
      name,
      cap: cap === null ? null : nanosToUsd(cap),
      used: nanosToUsd(used),
      remaining: cap === null ? null : nanosToUsd(cap - used - held > 0n ? cap - used - held : 0n),
    });
    return {
      held: nanosToUsd(held),
      caps: [
        one('Daily', 'daily', u?.caps.daily ?? null, u?.day ?? 0n),
        one('Weekly', 'weekly', u?.caps.weekly ?? null, u?.week ?? 0n),
        one('Monthly', 'monthly', u?.caps.monthly ?? null, u?.month ?? 0n),
      ],
    };
  }
}
