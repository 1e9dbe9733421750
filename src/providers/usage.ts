import type { Usage } from './types';

/** The one rule for a token count from an upstream: a non-negative integer (anything else counts as 0). */
const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0);

/**
 * Usage as upstreams report it, made safe to bill: non-negative integers, totals recomputed.
 * (A negative or fractional count from a misbehaving upstream must never refund or break money.)
 */
export function cleanUsage(raw: {
  prompt: unknown;
  completion: unknown;
  cached?: unknown;
  cacheWrite?: unknown;
  reasoning?: unknown;
}): Usage {
  const prompt = count(raw.prompt);
  const completion = count(raw.completion);
  const usage: Usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  const cached = Math.min(count(raw.cached), prompt);
  const cacheWrite = Math.min(count(raw.cacheWrite), prompt - cached);
  if (cached || cacheWrite) {
    usage.prompt_tokens_details = { cached_tokens: cached, ...(cacheWrite ? { cache_write_tokens: cacheWrite } : {}) };
  }
  const reasoning = Math.min(count(raw.reasoning), completion);
  if (reasoning) usage.completion_tokens_details = { reasoning_tokens: reasoning };
  return usage;
}

/**
 * A Usage an adapter built, made safe to bill by the same rule as `cleanUsage` while keeping the
 * fields it has (clients see them as the adapter shaped them): counts floored to non-negative
 * integers, details never above their totals, the total recomputed. Applied to every adapter's
 * usage at the boundary (`Adapters`), so none can hand the bill a count `BigInt()` rejects.
 */
export function billableUsage(u: Usage): Usage {
  const prompt = count(u.prompt_tokens);
  const completion = count(u.completion_tokens);
  const out: Usage = { ...u, prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  const pd = u.prompt_tokens_details;
  if (pd) {
    const cached = Math.min(count(pd.cached_tokens), prompt);
    out.prompt_tokens_details = {
      ...pd,
      ...(pd.cached_tokens !== undefined ? { cached_tokens: cached } : {}),
      ...(pd.cache_write_tokens !== undefined ? { cache_write_tokens: Math.min(count(pd.cache_write_tokens), prompt - cached) } : {}),
    };
  }
  const cd = u.completion_tokens_details;
  if (cd?.reasoning_tokens !== undefined)
    out.completion_tokens_details = { ...cd, reasoning_tokens: Math.min(count(cd.reasoning_tokens), completion) };
  return out;
}

/** Trims an upstream error text for logs and `metadata.raw`: never a huge or multi-line blob. */
export function trimRaw(text: string, max = 500): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
