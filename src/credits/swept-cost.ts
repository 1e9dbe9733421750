import { tokenCost } from '../common/money/money';
import type { OpenHold } from './holds.repository';

/** What the sweeper settles a hold at, and from what. */
export interface SweptCost {
  cost: bigint;
  /** Output tokens the request had reported relaying. */
  tokens: number;
  /** The exact cost its process handed over when its own settlement failed. */
  handedOver: boolean;
}

/**
 * The bill of a request whose process died, from what it left in Redis: the exact cost it handed
 * over when its own settlement failed (`due`, the same cost as if that settlement had gone
 * through); else the prompt plus the output relayed as last reported (`progress`, tokens) at the
 * price the request pays. Never above the hold.
 */
export function sweptCost(
  hold: Pick<OpenHold, 'amount' | 'promptCost' | 'completionPrice'>,
  progress: string | null,
  due: string | null,
): SweptCost {
  const tokens = Math.max(0, Math.floor(Number(progress ?? '0') || 0));
  const handedOver = due !== null && /^\d+$/.test(due);
  const cost = handedOver ? BigInt(due) : hold.promptCost + tokenCost(tokens, hold.completionPrice);
  return { cost: cost < hold.amount ? cost : hold.amount, tokens, handedOver };
}
