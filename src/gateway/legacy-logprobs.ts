import type { Logprobs } from '../providers/types';

/** OpenAI's legacy completions logprobs, per token of the completion. */
export interface LegacyLogprobs {
  tokens: string[];
  token_logprobs: number[];
  /** The likeliest tokens at each position and their log probabilities, the chosen one included. */
  top_logprobs: Record<string, number>[];
}

interface TokenLogprob {
  token: string;
  logprob: number;
  top_logprobs?: unknown;
}

const isTokenLogprob = (v: unknown): v is TokenLogprob =>
  typeof v === 'object' && v !== null && typeof (v as TokenLogprob).token === 'string' && typeof (v as TokenLogprob).logprob === 'number';

/**
 * Chat's logprobs (`content`: one entry per token with its `top_logprobs`) in the legacy shape the
 * text completions API answers with; null when the upstream sent none. `text_offset` is left out:
 * it counts characters from the start of the prompt as the upstream saw it, which a prompt served as
 * a chat message does not have.
 */
export function legacyLogprobs(chat: Logprobs | null | undefined): LegacyLogprobs | null {
  if (!chat || !Array.isArray(chat.content)) return null;
  const content = chat.content.filter(isTokenLogprob);
  return {
    tokens: content.map((t) => t.token),
    token_logprobs: content.map((t) => t.logprob),
    top_logprobs: content.map((t) => {
      const top = Array.isArray(t.top_logprobs) ? t.top_logprobs.filter(isTokenLogprob) : [];
      return Object.fromEntries([...top, t].map((x) => [x.token, x.logprob]));
    }),
  };
}
