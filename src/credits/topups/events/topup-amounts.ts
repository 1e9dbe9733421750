import { Nanos } from '../../../common/money/money';
import { centsToNanos } from '../topup-pricing';
import type { TopupRow } from '../topups.repository';

/** What a user owes: the negative part of their receivable account, as a positive amount. */
export const owedFrom = (receivable: Nanos): Nanos => (receivable < 0n ? -receivable : 0n);

/** The credit a top-up still carries: what it credited less what refunds took back. */
export const creditRemaining = (t: TopupRow): Nanos => centsToNanos(t.amountCents) - t.refundedNanos;
