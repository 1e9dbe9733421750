import type { Usage } from './types';

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

/** Trims an upstream error text for logs and `metadata.raw`: never a huge or multi-line blob. */
export function trimRaw(text: string, max = 500): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
