import type { CostSplit } from '../catalog/pricing';
import { nanosToUsd } from '../common/money/money';

/** `usage.cost_details` as OpenRouter sends it (USD numbers at the edge). */
export interface CostDetailsJson {
  /** What a provider charged a bring-your-own-key request; no request here is BYOK. */
  upstream_inference_cost: null;
  upstream_inference_prompt_cost: number;
  upstream_inference_completions_cost: number;
}

export const NOTHING_PRICED: CostSplit = { prompt: 0n, completion: 0n };

/**
 * The billed amount split into its prompt and completion sides, from the same priced usage the bill
 * came from. Billing can charge less than the priced usage (never above the hold, nothing for tokens
 * when no output came), so the prompt side is covered first and the completion side gets the rest:
 * the two always add up to `cost`, to the nanodollar.
 */
export function costDetails(split: CostSplit, billed: bigint): CostDetailsJson {
  const prompt = split.prompt < billed ? split.prompt : billed;
  return {
    upstream_inference_cost: null,
    upstream_inference_prompt_cost: nanosToUsd(prompt),
    upstream_inference_completions_cost: nanosToUsd(billed - prompt),
  };
}
