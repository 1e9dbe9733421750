import { ceilDiv } from '../common/money/money';
import type { Usage } from '../providers/types';
import type { EndpointPricing } from './catalog.types';

const MILLION = 1_000_000n;

/** The one rounding rule: each component is ceil(tokens x price per million / 1e6) nanodollars. */
const part = (tokens: number, perMillion: bigint): bigint => ceilDiv(BigInt(tokens) * perMillion, MILLION);

/**
 * A request's priced usage in nanodollars, in two sides: what its input costs (uncached prompt,
 * cached prompt at the read and write prices where the endpoint has them, the per-request and
 * per-image prices) and what its output costs (completion tokens, reasoning included).
 */
export interface CostSplit {
  prompt: bigint;
  completion: bigint;
}

export function costSplit(usage: Usage, pricing: EndpointPricing, images = 0): CostSplit {
  const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
  const written = usage.prompt_tokens_details?.cache_write_tokens ?? 0;
  const plain = Math.max(0, usage.prompt_tokens - cached - written);
  return {
    prompt:
      part(plain, pricing.prompt) +
      part(cached, pricing.cacheRead ?? pricing.prompt) +
      part(written, pricing.cacheWrite ?? pricing.prompt) +
      pricing.request +
      BigInt(images) * pricing.image,
    completion: part(usage.completion_tokens, pricing.completion),
  };
}

/** What a request cost, in nanodollars: both sides of its split. */
export function costOf(usage: Usage, pricing: EndpointPricing, images = 0): bigint {
  const { prompt, completion } = costSplit(usage, pricing, images);
  return prompt + completion;
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
