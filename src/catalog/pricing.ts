import { tokenCost } from '../common/money/money';
import type { EndpointPricing, TokenCounts } from './catalog.types';

const MILLION = 1_000_000n;

/**
 * What a request cost, in nanodollars: uncached prompt, cached prompt (read and write prices where
 * the endpoint has them), completion, plus per-request and per-image prices. Each token component is
 * rounded up by the one rule, `tokenCost`.
 */
export function costOf(usage: TokenCounts, pricing: EndpointPricing, images = 0): bigint {
  const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
  const written = usage.prompt_tokens_details?.cache_write_tokens ?? 0;
  const plain = Math.max(0, usage.prompt_tokens - cached - written);
  return (
    tokenCost(plain, pricing.prompt) +
    tokenCost(cached, pricing.cacheRead ?? pricing.prompt) +
    tokenCost(written, pricing.cacheWrite ?? pricing.prompt) +
    tokenCost(usage.completion_tokens, pricing.completion) +
    pricing.request +
    BigInt(images) * pricing.image
  );
}

/** The most a request can cost: every prompt token at the full prompt price and every allowed output token. */
export function maxCostOf(promptTokens: number, maxTokens: number, pricing: EndpointPricing, images = 0): bigint {
  return tokenCost(promptTokens, pricing.prompt) + tokenCost(maxTokens, pricing.completion) + pricing.request + BigInt(images) * pricing.image;
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
