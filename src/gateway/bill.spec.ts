import { endpointPricing } from '../../test/support/pricing';
import type { EndpointPricing, ResolvedEndpoint } from '../catalog/catalog.types';
import { usdToNanos } from '../common/money/money';
import type { RouteAttempt } from '../routing/plan-route';
import { bill, BillFacts, sumBills } from './bill';

/** $2.50 per million prompt tokens, $10 per million completion tokens (priority: twice that). */
const pricing = endpointPricing({
  prompt: usdToNanos(2.5),
  completion: usdToNanos(10),
  serviceTiers: {
    priority: { prompt: usdToNanos(5), completion: usdToNanos(20), cacheRead: null, cacheWrite: null, cacheWrite1h: null, tiers: [] },
  },
});
const endpoint = (slug: string, p: EndpointPricing = pricing): RouteAttempt => ({
  requestedModel: 'openai/gpt-4o',
  resolved: { endpoint: { pricing: p }, provider: { slug }, model: { id: 'openai/gpt-4o' } } as unknown as ResolvedEndpoint,
});
const A = endpoint('a');
const B = endpoint('b', { ...pricing, prompt: usdToNanos(1), completion: usdToNanos(4) });

const HOLD = usdToNanos(1);
/** 1000 prompt tokens at $2.50/M + 500 completion tokens at $10/M. */
const SERVED_COST = 2_500_000n + 5_000_000n;
const reported = { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 };

const facts = (o: Partial<BillFacts> = {}): BillFacts => ({
  hold: HOLD,
  promptTokens: 1200,
  images: 0,
  served: null,
  calling: null,
  reported: null,
  reportedFinal: true,
  output: { chars: 0, deltas: 0 },
  finishReason: null,
  cancelled: false,
  callingFailed: false,
  drainTimedOut: false,
  serviceTier: null,
  shown: false,
  ...o,
});

/** The rows of the README's "What a request costs", in its order. */
describe('bill', () => {
  describe('served (stream or not)', () => {
    it("bills the provider's usage at the serving endpoint's prices, split prompt / completion", () => {
      const b = bill(facts({ served: A, calling: A, reported, finishReason: 'stop', shown: true }));
      expect(b).toEqual({
        usage: reported,
        estimated: false,
        cost: SERVED_COST,
        split: { prompt: 2_500_000n, completion: 5_000_000n },
        billed: A,
      });
    });

    it('without usage from the provider: the prompt estimate and a count of the output read, flagged estimated', () => {
      // 2000 characters of output come to 500 tokens (4 characters a token).
      const b = bill(facts({ served: A, calling: A, output: { chars: 2000, deltas: 40 }, finishReason: 'stop', shown: true }));
      expect(b.estimated).toBe(true);
      expect(b.usage).toEqual({ prompt_tokens: 1200, completion_tokens: 500, total_tokens: 1700 });
      expect(b.cost).toBe(3_000_000n + 5_000_000n);
    });

    it('at the prices of the service tier the provider says it used', () => {
      const b = bill(facts({ served: A, reported, finishReason: 'stop', serviceTier: 'priority' }));
      expect(b.cost).toBe(2n * SERVED_COST);
    });

    it('never above the hold', () => {
      const b = bill(facts({ served: A, reported, finishReason: 'stop', hold: 1000n }));
      expect(b.cost).toBe(1000n);
      expect(b.split).toEqual({ prompt: 2_500_000n, completion: 5_000_000n });
    });
  });

  it('fallback: bills the serving endpoint only, at its prices', () => {
    // The failed endpoint's output tally was dropped by the caller; the served one's usage is billed.
    const b = bill(facts({ served: B, calling: B, reported, finishReason: 'stop' }));
    expect(b.billed).toBe(B);
    expect(b.cost).toBe(1_000_000n + 2_000_000n);
  });

  describe('cut by the provider after output', () => {
    it("bills the provider's usage when it sent it", () => {
      expect(bill(facts({ served: A, reported, finishReason: 'error', shown: true })).cost).toBe(SERVED_COST);
    });

    it('else the prompt estimate and the output read', () => {
      const b = bill(facts({ served: A, output: { chars: 400, deltas: 10 }, finishReason: 'error', shown: true }));
      expect(b.usage).toEqual({ prompt_tokens: 1200, completion_tokens: 100, total_tokens: 1300 });
      expect(b.estimated).toBe(true);
      expect(b.cost).toBe(3_000_000n + 1_000_000n);
    });

    it('nothing when it produced no output', () => {
      const b = bill(
        facts({ served: A, reported: { prompt_tokens: 1000, completion_tokens: 0, total_tokens: 1000 }, finishReason: 'error' }),
      );
      expect(b.cost).toBe(0n);
      expect(bill(facts({ served: A, finishReason: null, shown: true })).cost).toBe(0n);
    });

    it('bills the output an endpoint buffered unseen (excluded reasoning) when the request ended on it', () => {
      const b = bill(facts({ calling: A, output: { chars: 800, deltas: 5 }, finishReason: 'error', shown: true }));
      expect(b.billed).toBe(A);
      expect(b.cost).toBe(3_000_000n + 2_000_000n);
    });
  });

  it('ended cleanly without [DONE] after a finish reason or usage: as served', () => {
    expect(bill(facts({ served: A, reported, finishReason: 'length' })).cost).toBe(SERVED_COST);
  });

  it('left by the client before the request reached a provider: nothing', () => {
    const b = bill(facts({ cancelled: true }));
    expect(b).toMatchObject({ usage: null, estimated: false, cost: 0n, billed: null });
  });

  describe('left by the client before the first output, or after it', () => {
    it('bills what the drain learnt from the provider: prompt + completion', () => {
      expect(bill(facts({ calling: A, reported, cancelled: true })).cost).toBe(SERVED_COST);
      expect(bill(facts({ served: A, calling: A, reported, cancelled: true, finishReason: 'stop' })).cost).toBe(SERVED_COST);
    });

    it('bills the prompt the provider processed even with no output and no usage', () => {
      const b = bill(facts({ calling: A, cancelled: true }));
      expect(b.usage).toEqual({ prompt_tokens: 1200, completion_tokens: 0, total_tokens: 1200 });
      expect(b.cost).toBe(3_000_000n);
    });

    it('bills nothing when the endpoint being called failed by itself during the drain', () => {
      expect(bill(facts({ calling: A, cancelled: true, callingFailed: true })).cost).toBe(0n);
    });
  });

  it('drained until the drain timeout without learning the usage: the hold', () => {
    const b = bill(facts({ served: A, output: { chars: 40, deltas: 2 }, cancelled: true, drainTimedOut: true }));
    expect(b.estimated).toBe(true);
    expect(b.cost).toBe(HOLD);
    // With the provider's usage, it is billed as usual.
    expect(bill(facts({ served: A, reported, cancelled: true, drainTimedOut: true })).cost).toBe(SERVED_COST);
  });

  it('counts a stream reported before its end are not its usage: the drain that runs out on them bills the hold', () => {
    // Anthropic's message_start: the prompt and a completion count of 1.
    const early = { prompt_tokens: 1000, completion_tokens: 1, total_tokens: 1001 };
    const drained = bill(
      facts({ served: A, reported: early, reportedFinal: false, output: { chars: 400, deltas: 10 }, cancelled: true, drainTimedOut: true }),
    );
    expect(drained.cost).toBe(HOLD);
    // Not drained (cut, or the client left at the end): the reported prompt and at least the output read.
    const cut = bill(
      facts({ served: A, reported: early, reportedFinal: false, output: { chars: 400, deltas: 10 }, finishReason: 'error' }),
    );
    expect(cut).toMatchObject({
      usage: { prompt_tokens: 1000, completion_tokens: 100, total_tokens: 1100 },
      estimated: true,
      cost: 2_500_000n + 1_000_000n,
    });
  });

  it('timed out or unreachable before any output, all endpoints: nothing', () => {
    const b = bill(facts({ finishReason: null, shown: true }));
    expect(b).toMatchObject({
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
      estimated: true,
      cost: 0n,
      billed: null,
    });
    expect(bill(facts()).usage).toBeNull();
  });
});

describe('sumBills (a stream continued on another endpoint)', () => {
  it('bills each segment for what it produced and sums them: usage, cost and its split', () => {
    const cut = bill(facts({ served: A, output: { chars: 160, deltas: 40 }, shown: true }));
    const continued = bill(
      facts({
        served: B,
        reported: { prompt_tokens: 1050, completion_tokens: 20, total_tokens: 1070, prompt_tokens_details: { cached_tokens: 10 } },
        finishReason: 'stop',
        hold: HOLD - cut.cost,
      }),
    );
    const sum = sumBills([cut, continued]);
    expect(sum.usage).toEqual({
      prompt_tokens: 1200 + 1050,
      completion_tokens: 40 + 20,
      total_tokens: 1240 + 1070,
      prompt_tokens_details: { cached_tokens: 10 },
    });
    expect(sum.cost).toBe(cut.cost + continued.cost);
    expect(sum.split.prompt + sum.split.completion).toBe(
      cut.split.prompt + cut.split.completion + continued.split.prompt + continued.split.completion,
    );
    expect(sum.estimated).toBe(true);
    expect(sum.billed).toBe(B);
  });
});
