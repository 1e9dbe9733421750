import { maxCostOf, affordableTokens } from '../catalog/pricing';
import type { ResolvedEndpoint } from '../catalog/catalog.types';
import { ImageEstimate, promptTokensUnder } from './prompt-estimate';

export interface Sizing {
  /** max_tokens to send to each planned endpoint (same order as the plan); 0 = skip that endpoint. */
  maxTokens: number[];
  /** What to hold: enough for whichever planned endpoint ends up serving. */
  hold: bigint;
}

export type SizingResult = { ok: true; sizing: Sizing } | { ok: false; requested: number; affordable: number };

/** What sizing needs to know of a request. */
export interface SizingRequest {
  /** The prompt estimate (deliberately high) and its images. */
  promptTokens: number;
  images: number;
  /** The images the estimate counts, counted again for an endpoint with its own image token counts. */
  imageParts?: ImageEstimate[];
  /** The client's max_tokens, if it set one. */
  clientMax: number | undefined;
  /** The service tier asked of the provider (`service_tier`), priced apart where the endpoint says so; `auto` is held at the dearest. */
  serviceTier?: string | null;
  /** Completion tokens the provider may bill beyond max_tokens (rejected predicted output). */
  extraCompletionTokens?: number;
}

/**
 * The prompt estimate on one endpoint: its images at the endpoint's own token counts where it has
 * them, then no more than the endpoint's context (a provider bills no longer prompt than it takes).
 */
export function promptTokensFor(r: ResolvedEndpoint, req: Pick<SizingRequest, 'promptTokens' | 'imageParts'>): number {
  const tokens = promptTokensUnder(r.endpoint.imageTokens, { tokens: req.promptTokens, imageParts: req.imageParts });
  return tokens > req.promptTokens ? Math.max(req.promptTokens, Math.min(tokens, r.endpoint.contextLength)) : tokens;
}

/**
 * How many tokens each planned endpoint may generate and what to hold for the request. With the
 * client's max_tokens: that, within each endpoint's output limit. Without: the endpoint's limit,
 * lowered to what the caller can afford (`budget`, null = no limit), so a hold never exceeds it.
 * Prices are those of the prompt's length tier and the service tier asked for, on the prompt as
 * each endpoint counts it; the hold is the dearest endpoint's.
 */
export function sizeRequest(endpoints: ResolvedEndpoint[], req: SizingRequest, budget: bigint | null): SizingResult {
  const { promptTokens, images, clientMax, serviceTier } = req;
  const extra = req.extraCompletionTokens ?? 0;
  const prompts = endpoints.map((r) => promptTokensFor(r, req));
  // Output room on the common estimate, as routing checked the context against it.
  const limits = endpoints.map((r) => Math.max(0, Math.min(r.endpoint.maxCompletionTokens, r.endpoint.contextLength - promptTokens)));
  let maxTokens = limits.map((limit) => Math.min(clientMax ?? limit, limit));
  if (budget !== null) {
    // What the budget pays for beyond the extra completion tokens the request may be billed anyway.
    const affordable = endpoints.map((r, i) => {
      const a = affordableTokens(budget, prompts[i], r.endpoint.pricing, images, serviceTier);
      return a === null ? null : Math.max(0, a - extra);
    });
    if (clientMax !== undefined) {
      const firstAffordable = affordable[0] ?? 0;
      if (firstAffordable !== null && firstAffordable < maxTokens[0]) {
        return { ok: false, requested: clientMax, affordable: firstAffordable };
      }
      // A fallback endpoint the caller cannot afford at the requested size is skipped (0), not shrunk.
      maxTokens = maxTokens.map((m, i) => (affordable[i] === null || affordable[i]! >= m ? m : 0));
    } else {
      maxTokens = maxTokens.map((m, i) => (affordable[i] === null ? m : Math.min(m, affordable[i]!)));
      if ((maxTokens[0] ?? 0) < 1) return { ok: false, requested: limits[0] ?? 0, affordable: 0 };
    }
  }
  const hold = endpoints.reduce((max, r, i) => {
    const c = maxTokens[i] >= 1 ? maxCostOf(prompts[i], maxTokens[i] + extra, r.endpoint.pricing, images, serviceTier) : 0n;
    return c > max ? c : max;
  }, 0n);
  return { ok: true, sizing: { maxTokens, hold } };
}

/**
 * What to hold for an embeddings request: its input at the dearest planned endpoint's prices (an
 * embedding has no output tokens, so there is nothing to size).
 */
export function embeddingHold(endpoints: ResolvedEndpoint[], promptTokens: number): bigint {
  return endpoints.reduce((max, r) => {
    const c = maxCostOf(promptTokens, 0, r.endpoint.pricing);
    return c > max ? c : max;
  }, 0n);
}

/** Whether an endpoint charges anything at all: one that does is never called on a hold of 0. */
export function isPriced(r: ResolvedEndpoint): boolean {
  const p = r.endpoint.pricing;
  return p.prompt > 0n || p.completion > 0n || p.request > 0n || p.image > 0n;
}
