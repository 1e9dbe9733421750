import { ceilDiv } from '../common/money/money';
import type { Usage } from '../providers/types';
import type { EndpointPricing } from './catalog.types';

const MILLION = 1_000_000n;

/** The one rounding rule: each component is ceil(tokens x price per million / 1e6) nanodollars. */
const part = (tokens: number, perMillion: bigint): bigint => ceilDiv(BigInt(tokens) * perMillion, MILLION);

/**
 * What a request cost, in nanodollars: uncached prompt, cached prompt (read and write prices where
 * the endpoint has them), completion, plus per-request and per-image prices.
 */
export function costOf(usage: Usage, pricing: EndpointPricing, images = 0): bigint {
  const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
  const written = usage.prompt_tokens_details?.cache_write_tokens ?? 0;
  const plain = Math.max(0, usage.prompt_tokens - cached - written);
  return (
    part(plain, pricing.prompt) +
    part(cached, pricing.cacheRead ?? pricing.prompt) +
    part(written, pricing.cacheWrite ?? pricing.prompt) +
    part(usage.completion_tokens, pricing.completion) +
    pricing.request +
    BigInt(images) * pricing.image
  );
}

/**
 * A request's priced usage in nanodollars, in two sides: what its input costs (uncached prompt,
 * cached prompt at the read and write prices where the endpoint has them, the per-request and
 * per-image prices) and what its output costs (completion tokens, reasoning included).
 */
export interface CostSplit {
  prompt: bigint;
  completion: bigint;
}

/** What costOf prices usage by (the endpoint's prices, images, ...). */
type PricedBy = Parameters<typeof costOf> extends [Usage, ...infer Rest] ? Rest : never;

/**
 * Both sides come from costOf itself, called as the bill calls it (each component is rounded on
 * its own, so the two add up to the cost): the prompt side is the cost without completion tokens.
 */
export function costSplit(usage: Usage, ...pricedBy: PricedBy): CostSplit {
  const total = costOf(usage, ...pricedBy);
  const prompt = costOf({ ...usage, completion_tokens: 0 }, ...pricedBy);
  return { prompt, completion: total - prompt };
}

/** The most a request can cost: every prompt token at the full prompt price and every allowed output token. */
export function maxCostOf(promptTokens: number, maxTokens: number, pricing: EndpointPricing, images = 0): bigint {
  return part(promptTokens, pricing.prompt) + part(maxTokens, pricing.completion) + pricing.request + BigInt(images) * pricing.image;
}

/** How many output tokens `budget` pays for after the prompt (null: unlimited, as the completion is free). */
export function affordableTokens(budget: bigint, promptTokens: number, pricing: EndpointPricing, images = 0): number | null {
  const fixed = maxCostOf(promptTokens, 0, pricing, images);
  if (pricing.completion === 0n) return budget >= fixed ? null : 0;
  if (budget <= fixed) return 0;
  // The largest m with ceil(m x price / 1e6) <= budget - fixed.
  const tokens = ((budget - fixed) * MILLION) / pricing.completion;
  return tokens > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(tokens);
}
