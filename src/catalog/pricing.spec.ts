import { usdToNanos } from '../common/money/money';
import { affordableTokens, costOf, costSplit, holdPricesFor, maxCostOf } from './pricing';
import { endpointPricing } from '../../test/support/pricing';
import type { EndpointPricing } from './catalog.types';

const perM = (usd: number) => usdToNanos(usd);
const p = (o: Partial<EndpointPricing> = {}): EndpointPricing => endpointPricing({ prompt: perM(2.5), completion: perM(10), ...o });

describe('pricing', () => {
  it('prices each component and rounds each up to a whole nanodollar', () => {
    // 1000 prompt tokens at $2.50/M = $0.0025; 500 completion at $10/M = $0.005
    expect(costOf({ prompt_tokens: 1000, completion_tokens: 500 }, p())).toBe(usdToNanos('0.0075'));
    // 1 token at $0.0001/M = 0.1 nanodollars: rounds up to 1; 11 tokens = 1.1 -> 2
    expect(costOf({ prompt_tokens: 1, completion_tokens: 0 }, p({ prompt: perM(0.0001) }))).toBe(1n);
    expect(costOf({ prompt_tokens: 11, completion_tokens: 0 }, p({ prompt: perM(0.0001) }))).toBe(2n);
    expect(costOf({ prompt_tokens: 0, completion_tokens: 0 }, p())).toBe(0n);
  });

  it('bills cached prompt tokens at the cache price, and adds per-request and per-image prices', () => {
    const u = { prompt_tokens: 1000, completion_tokens: 0, prompt_tokens_details: { cached_tokens: 600, cache_write_tokens: 100 } };
    const pricing = p({ cacheRead: perM(1.25), cacheWrite: perM(3.75), request: 1000n, image: 5000n });
    // 300 plain x 2500 + 600 x 1250 + 100 x 3750 nanodollars per token, + 1000 per request + 2 x 5000 per image
    expect(costOf(u, pricing, 2)).toBe(750_000n + 750_000n + 375_000n + 1000n + 10_000n);
  });

  it('splits the cost into input (prompt, cache, request, images) and output (completion), each part rounded as in the total', () => {
    const u = {
      prompt_tokens: 1001,
      completion_tokens: 333,
      total_tokens: 1334,
      prompt_tokens_details: { cached_tokens: 600, cache_write_tokens: 100 },
    };
    const pricing = p({
      prompt: perM(0.0003),
      completion: perM(0.0007),
      cacheRead: perM(0.0001),
      cacheWrite: perM(0.0009),
      request: 1000n,
      image: 5000n,
    });
    // ceil(301 x 0.3) + ceil(600 x 0.1) + ceil(100 x 0.9) + 1000 + 2 x 5000; ceil(333 x 0.7)
    expect(costSplit(u, pricing, 2)).toEqual({ prompt: 91n + 60n + 90n + 1000n + 10_000n, completion: 234n });
    const { prompt, completion } = costSplit(u, pricing, 2);
    expect(costOf(u, pricing, 2)).toBe(prompt + completion);
  });

  it('the hold is never below the cost of any outcome within it', () => {
    const pricing = p({ cacheRead: perM(1.25) });
    for (let prompt = 0; prompt < 50; prompt += 7) {
      for (let out = 0; out <= 40; out += 5) {
        const max = maxCostOf(prompt, 40, pricing);
        expect(
          costOf(
            { prompt_tokens: prompt, completion_tokens: out, prompt_tokens_details: { cached_tokens: Math.floor(prompt / 2) } },
            pricing,
          ),
        ).toBeLessThanOrEqual(max);
      }
    }
  });

  it('affordable tokens are the most that fit the budget', () => {
    const pricing = p();
    const budget = usdToNanos('0.01');
    const m = affordableTokens(budget, 1000, pricing)!;
    expect(maxCostOf(1000, m, pricing)).toBeLessThanOrEqual(budget);
    expect(maxCostOf(1000, m + 1, pricing)).toBeGreaterThan(budget);
    expect(affordableTokens(1000n, 1_000_000, pricing)).toBe(0);
    expect(affordableTokens(budget, 10, p({ completion: 0n }))).toBeNull();
  });
});

describe('prices the base ones cannot express', () => {
  const tiered = p({
    prompt: perM(1.25),
    completion: perM(10),
    cacheRead: perM(0.31),
    tiers: [
      { abovePromptTokens: 200_000, prompt: perM(2.5), completion: perM(15), cacheRead: perM(0.625), cacheWrite: null, cacheWrite1h: null },
    ],
  });
  const usage = (prompt: number, completion: number, details?: Record<string, number>) => ({
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: details,
  });

  it('bills a prompt above a tier threshold at that tier, prompt and completion', () => {
    expect(costOf(usage(200_000, 1000), tiered)).toBe(usdToNanos('0.25') + usdToNanos('0.01'));
    expect(costOf(usage(200_001, 1000), tiered)).toBe(usdToNanos('0.5000025') + usdToNanos('0.015'));
    expect(maxCostOf(250_000, 1000, tiered)).toBe(usdToNanos('0.625') + usdToNanos('0.015'));
  });

  it('bills 1-hour cache writes at their price and 5-minute ones at theirs', () => {
    const anthropic = p({ prompt: perM(3), completion: perM(15), cacheRead: perM(0.3), cacheWrite: perM(3.75), cacheWrite1h: perM(6) });
    // 1000 written, 600 of them to the 1-hour cache; 100 plain.
    expect(costOf(usage(1100, 0, { cache_write_tokens: 1000, cache_write_1h_tokens: 600 }), anthropic)).toBe(
      300_000n + 1_500_000n + 3_600_000n,
    );
    // The hold prices every prompt token at the dearest a prompt token can cost.
    expect(maxCostOf(1000, 0, anthropic)).toBe(6_000_000n);
  });

  it('bills the service tier the provider reports, and holds for the one asked for', () => {
    const openai = p({
      prompt: perM(2),
      completion: perM(8),
      serviceTiers: {
        priority: { prompt: perM(3.5), completion: perM(14), cacheRead: null, cacheWrite: null, cacheWrite1h: null, tiers: [] },
      },
    });
    expect(costOf(usage(1000, 1000), openai, 0, 'priority')).toBe(3_500_000n + 14_000_000n);
    expect(costOf(usage(1000, 1000), openai, 0, 'default')).toBe(2_000_000n + 8_000_000n);
    expect(maxCostOf(1000, 1000, openai, 0, 'priority')).toBe(17_500_000n);
    expect(affordableTokens(17_500_000n, 1000, openai, 0, 'priority')).toBe(1000);
  });

  it('holds auto at the dearest service tier, price by price, and no service tier at the default one', () => {
    const tier = (prompt: number, completion: number, cacheRead: number | null) => ({
      prompt: perM(prompt),
      completion: perM(completion),
      cacheRead: cacheRead === null ? null : perM(cacheRead),
      cacheWrite: null,
      cacheWrite1h: null,
      tiers: [],
    });
    const openai = p({
      prompt: perM(2),
      completion: perM(8),
      cacheRead: perM(0.5),
      serviceTiers: { flex: tier(1, 4, 0.25), priority: tier(3.5, 14, null), odd: tier(0.5, 20, 0.1) },
    });
    expect(holdPricesFor(openai, 1000, 'auto')).toEqual({
      prompt: perM(3.5),
      completion: perM(20),
      cacheRead: perM(3.5),
      cacheWrite: perM(3.5),
      cacheWrite1h: perM(3.5),
    });
    expect(maxCostOf(1000, 1000, openai, 0, 'auto')).toBe(3_500_000n + 20_000_000n);
    expect(affordableTokens(23_500_000n, 1000, openai, 0, 'auto')).toBe(1000);
    expect(maxCostOf(1000, 1000, openai)).toBe(2_000_000n + 8_000_000n);
    // What the provider reports is billed as reported: auto is only ever a request's, never a bill's tier.
    expect(costOf(usage(1000, 1000), openai, 0, 'auto')).toBe(2_000_000n + 8_000_000n);
    expect(maxCostOf(1000, 1000, p(), 0, 'auto')).toBe(maxCostOf(1000, 1000, p()));
  });
});
