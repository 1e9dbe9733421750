import { costOf, costSplit, CostSplit } from '../catalog/pricing';
import type { FinishReason, Usage } from '../providers/types';
import type { RouteAttempt } from '../routing/plan-route';
import { NOTHING_PRICED } from './cost-details';
import { estimateOutputTokens } from './prompt-estimate';

/** Everything a request's bill depends on, read off the exchange when the request's end is known. */
export interface BillFacts {
  /** What was held: no bill exceeds it. */
  hold: bigint;
  /** The prompt estimate and its images. */
  promptTokens: number;
  images: number;
  /** The endpoint that served (answered 2xx and, for a stream, produced output or ended normally). */
  served: RouteAttempt | null;
  /** The endpoint being called when none had served. */
  calling: RouteAttempt | null;
  /** The usage the provider reported; null when it reported none. */
  reported: Usage | null;
  /**
   * False when that usage is what the provider reported before the end (Anthropic's message_start,
   * Gemini's prompt count on every chunk): only its prompt count is the bill's.
   */
  reportedFinal: boolean;
  /** The output read from the endpoint being billed. */
  output: { chars: number; deltas: number };
  finishReason: FinishReason | null;
  /** The client left (or the drain after that aborted the call). */
  cancelled: boolean;
  /** The endpoint being called failed by itself after the client left. */
  callingFailed: boolean;
  /** The drain after the client left ran out before the provider's answer ended. */
  drainTimedOut: boolean;
  /** The service tier the provider says it used (priced apart where the endpoint says so). */
  serviceTier: string | null;
  /** The bill goes to the client (a JSON answer, a usage or error chunk): its usage is always given. */
  shown: boolean;
}

/** One request's bill: what the client is shown, what is settled and what is recorded, all the same. */
export interface Bill {
  /** The usage billed: the provider's, or an estimate (then `estimated`); null when nothing was used. */
  usage: Usage | null;
  estimated: boolean;
  /** Nanodollars, never above the hold. */
  cost: bigint;
  /** The priced usage in its prompt and completion sides (before the cost is capped). */
  split: CostSplit;
  /** The endpoint whose prices apply; null when no endpoint is billed. */
  billed: RouteAttempt | null;
}

/**
 * The bill of a request, by the README's "What a request costs":
 *
 * - Billed endpoint: the one that served. With none, the one being called when the request ended,
 *   if it had produced output (excluded reasoning, buffered unseen) or the client left after the
 *   request reached it (the provider processed the prompt) and it did not fail by itself. What a
 *   failed fallback endpoint produced is never billed (the caller drops its tally).
 * - Usage: the provider's when it reported its final one. Reported only before its end (a prompt
 *   count), its prompt count and at least the output read, flagged estimated. With none, an
 *   estimate, flagged: the prompt estimate (when an endpoint is billed) plus a count of the output
 *   read. Without a billed endpoint and with nothing shown to the client, there is no usage at all.
 * - Cost: nothing without a billed endpoint or usage. The hold when the drain after the client left
 *   ran out and the usage is only an estimate (hidden reasoning could be anything up to
 *   max_tokens: never billed near zero). Nothing when no completion tokens came and the request
 *   failed or ended without a reason, unless the client left (the provider processed it all the
 *   same). Otherwise the usage at the billed endpoint's prices (its prompt length and service
 *   tier), capped at the hold.
 */
export function bill(f: BillFacts): Bill {
  const billed = f.served ?? (f.output.deltas > 0 || (f.cancelled && !f.callingFailed) ? f.calling : null);
  const { usage, estimated } = billedUsage(f, billed);
  if (!billed || !usage) return { usage, estimated, cost: 0n, split: NOTHING_PRICED, billed };
  const pricing = billed.resolved.endpoint.pricing;
  const split = costSplit(usage, pricing, f.images, f.serviceTier);
  return { usage, estimated, cost: costOfBill(f, { usage, estimated }, billed), split, billed };
}

function billedUsage(f: BillFacts, billed: RouteAttempt | null): Pick<Bill, 'usage' | 'estimated'> {
  const output = estimateOutputTokens(f.output.chars, f.output.deltas);
  if (f.reported && !f.reportedFinal) {
    const completion = Math.max(f.reported.completion_tokens, output);
    return {
      usage: { ...f.reported, completion_tokens: completion, total_tokens: f.reported.prompt_tokens + completion },
      estimated: true,
    };
  }
  if (f.reported || !(f.shown || billed)) return { usage: f.reported, estimated: false };
  const prompt = billed ? f.promptTokens : 0;
  return { usage: { prompt_tokens: prompt, completion_tokens: output, total_tokens: prompt + output }, estimated: true };
}

function costOfBill(f: BillFacts, { usage, estimated }: { usage: Usage; estimated: boolean }, billed: RouteAttempt): bigint {
  if (f.drainTimedOut && estimated) return f.hold;
  const noOutput = usage.completion_tokens === 0 && (f.finishReason === null || f.finishReason === 'error') && !f.cancelled;
  if (noOutput) return 0n;
  const cost = costOf(usage, billed.resolved.endpoint.pricing, f.images, f.serviceTier);
  return cost < f.hold ? cost : f.hold;
}

const add = (a: number | undefined, b: number | undefined) => (a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0));

function sumUsage(a: Usage, b: Usage): Usage {
  const pa = a.prompt_tokens_details ?? {};
  const pb = b.prompt_tokens_details ?? {};
  const details = {
    cached_tokens: add(pa.cached_tokens, pb.cached_tokens),
    cache_write_tokens: add(pa.cache_write_tokens, pb.cache_write_tokens),
    cache_write_1h_tokens: add(pa.cache_write_1h_tokens, pb.cache_write_1h_tokens),
  };
  const reasoning = add(a.completion_tokens_details?.reasoning_tokens, b.completion_tokens_details?.reasoning_tokens);
  const kept = Object.fromEntries(Object.entries(details).filter(([, v]) => v !== undefined));
  return {
    prompt_tokens: a.prompt_tokens + b.prompt_tokens,
    completion_tokens: a.completion_tokens + b.completion_tokens,
    total_tokens: a.total_tokens + b.total_tokens,
    ...(Object.keys(kept).length ? { prompt_tokens_details: kept } : {}),
    ...(reasoning !== undefined ? { completion_tokens_details: { reasoning_tokens: reasoning } } : {}),
  };
}

/**
 * The bill of a stream continued on another endpoint after a cut: each segment billed for what its
 * endpoint produced (the continuation's prompt includes the prefill), summed. The last segment's
 * endpoint is the one named as billed.
 */
export function sumBills(bills: Bill[]): Bill {
  return bills.reduce((sum, b) => ({
    usage: sum.usage && b.usage ? sumUsage(sum.usage, b.usage) : (sum.usage ?? b.usage),
    estimated: sum.estimated || b.estimated,
    cost: sum.cost + b.cost,
    split: { prompt: sum.split.prompt + b.split.prompt, completion: sum.split.completion + b.split.completion },
    billed: b.billed ?? sum.billed,
  }));
}
