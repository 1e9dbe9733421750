import { tokenCost } from '../common/money/money';
import type { EndpointPricing, TokenCounts, TokenPrices } from './catalog.types';

const MILLION = 1_000_000n;

const max = (...values: (bigint | null)[]): bigint => values.reduce<bigint>((m, v) => (v !== null && v > m ? v : m), 0n);

/**
 * The token prices of a request: those of its service tier when the endpoint prices that tier
 * apart (else the base ones), at the prompt-length tier its prompt falls in.
 */
export function tokenPricesFor(pricing: EndpointPricing, promptTokens: number, serviceTier?: string | null): TokenPrices {
  const chosen = (serviceTier && Object.hasOwn(pricing.serviceTiers, serviceTier) ? pricing.serviceTiers[serviceTier] : null) ?? pricing;
  let prices: TokenPrices = chosen;
  for (const tier of chosen.tiers) if (promptTokens > tier.abovePromptTokens) prices = tier;
  return prices;
}

/** Each price the dearer of the two (a missing cache price is the prompt price it stands for). */
function dearer(a: TokenPrices, b: TokenPrices): TokenPrices {
  const write = (t: TokenPrices) => t.cacheWrite ?? t.prompt;
  return {
    prompt: max(a.prompt, b.prompt),
    completion: max(a.completion, b.completion),
    cacheRead: max(a.cacheRead ?? a.prompt, b.cacheRead ?? b.prompt),
    cacheWrite: max(write(a), write(b)),
    cacheWrite1h: max(a.cacheWrite1h ?? write(a), b.cacheWrite1h ?? write(b)),
  };
}

/**
 * The token prices a request is held at: those of the service tier it asks for, and for `auto`,
 * with which the provider picks the tier (and may bill a dearer one), the dearest of the endpoint's
 * tiers, price by price. No service tier is the default tier, which is what providers bill then.
 */
export function holdPricesFor(pricing: EndpointPricing, promptTokens: number, serviceTier?: string | null): TokenPrices {
  if (serviceTier !== 'auto') return tokenPricesFor(pricing, promptTokens, serviceTier);
  return Object.keys(pricing.serviceTiers).reduce(
    (prices, tier) => dearer(prices, tokenPricesFor(pricing, promptTokens, tier)),
    tokenPricesFor(pricing, promptTokens),
  );
}

/**
 * What a request cost, in nanodollars: uncached prompt, cached prompt read, prompt written to the
 * cache (the 1-hour cache at its own price), completion, plus per-request and per-image prices;
 * at the prices of the service tier the provider reports and of the prompt's length. Each token
 * component is rounded up by the one rule, `tokenCost`.
 */
export function costOf(usage: TokenCounts, pricing: EndpointPricing, images = 0, serviceTier?: string | null): bigint {
  const t = tokenPricesFor(pricing, usage.prompt_tokens, serviceTier);
  const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
  const written = usage.prompt_tokens_details?.cache_write_tokens ?? 0;
  const writtenHour = Math.min(written, usage.prompt_tokens_details?.cache_write_1h_tokens ?? 0);
  const plain = Math.max(0, usage.prompt_tokens - cached - written);
  return (
    tokenCost(plain, t.prompt) +
    tokenCost(cached, t.cacheRead ?? t.prompt) +
    tokenCost(written - writtenHour, t.cacheWrite ?? t.prompt) +
    tokenCost(writtenHour, t.cacheWrite1h ?? t.cacheWrite ?? t.prompt) +
    tokenCost(usage.completion_tokens, t.completion) +
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
type PricedBy = Parameters<typeof costOf> extends [TokenCounts, ...infer Rest] ? Rest : never;

/**
 * Both sides come from costOf itself, called as the bill calls it (each component is rounded on
 * its own, so the two add up to the cost): the prompt side is the cost without completion tokens.
 */
export function costSplit(usage: TokenCounts, ...pricedBy: PricedBy): CostSplit {
  const total = costOf(usage, ...pricedBy);
  const prompt = costOf({ ...usage, completion_tokens: 0 }, ...pricedBy);
  return { prompt, completion: total - prompt };
}

/**
 * The most a request can cost: every prompt token at the dearest price a prompt token can have
 * (a cache write may cost more than a plain prompt token) and every allowed output token, at the
 * prompt-length tier of `promptTokens` and the service tier asked for (`auto`: the dearest).
 */
export function maxCostOf(
  promptTokens: number,
  maxTokens: number,
  pricing: EndpointPricing,
  images = 0,
  serviceTier?: string | null,
): bigint {
  const t = holdPricesFor(pricing, promptTokens, serviceTier);
  const prompt = max(t.prompt, t.cacheRead, t.cacheWrite, t.cacheWrite1h);
  return tokenCost(promptTokens, prompt) + tokenCost(maxTokens, t.completion) + pricing.request + BigInt(images) * pricing.image;
}

/** How many output tokens `budget` pays for after the prompt (null: unlimited, as the completion is free). */
export function affordableTokens(
  budget: bigint,
  promptTokens: number,
  pricing: EndpointPricing,
  images = 0,
  serviceTier?: string | null,
): number | null {
  const fixed = maxCostOf(promptTokens, 0, pricing, images, serviceTier);
  const completion = holdPricesFor(pricing, promptTokens, serviceTier).completion;
  if (completion === 0n) return budget >= fixed ? null : 0;
  if (budget <= fixed) return 0;
  // The largest m with ceil(m x price / 1e6) <= budget - fixed.
  const tokens = ((budget - fixed) * MILLION) / completion;
  return tokens > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(tokens);
}
