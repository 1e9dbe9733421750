import type { ChatMessage, ToolDef } from '../providers/types';

/** Tokens we assume an image costs before the provider tells us (a high-detail 1024px image is ~765). */
export const IMAGE_TOKENS = 1000;

/**
 * A deliberately high estimate of prompt tokens, for the hold: one token per 3 bytes of UTF-8 text
 * (real tokenizers average about 4 characters per token in English), plus per-message overhead.
 * Overestimating only reserves a little more; underestimating could let a request cost more than
 * its hold, which is then capped at the hold.
 */
export function estimatePrompt(messages: ChatMessage[], tools?: ToolDef[]): { tokens: number; images: number } {
  let bytes = 0;
  let images = 0;
  for (const m of messages) {
    bytes += 12; // role and framing
    if (typeof m.content === 'string') bytes += Buffer.byteLength(m.content);
    else if (Array.isArray(m.content)) {
      for (const p of m.content) {
        if (p.type === 'text' && typeof p.text === 'string') bytes += Buffer.byteLength(p.text);
        else if (p.type === 'image_url') images++;
        else bytes += Buffer.byteLength(JSON.stringify(p));
      }
    }
    if (m.tool_calls) bytes += Buffer.byteLength(JSON.stringify(m.tool_calls));
    if (typeof m.name === 'string') bytes += m.name.length;
  }
  if (tools?.length) bytes += Buffer.byteLength(JSON.stringify(tools));
  return { tokens: Math.ceil(bytes / 3) + images * IMAGE_TOKENS, images };
}

/**
 * Tokens in text produced so far, when the upstream never said (a cut or cancelled stream): about
 * 4 characters a token, and never fewer than the deltas relayed (a provider streams at least a
 * token per delta).
 */
export function estimateOutputTokens(chars: number, deltas = 0): number {
  return Math.max(deltas, chars > 0 ? Math.ceil(chars / 4) : 0);
}
