import type { EmbeddingsResult, ProviderAdapter, StreamTranslator } from './types';
import { billableUsage } from './usage';

const billableStream = (t: StreamTranslator): StreamTranslator => ({
  push: (event) => t.push(event),
  usage: () => {
    const u = t.usage();
    return u && billableUsage(u);
  },
  done: () => t.done(),
  error: () => t.error(),
  ...(t.serviceTier ? { serviceTier: () => t.serviceTier!() } : {}),
});

const billableEmbeddings = (r: EmbeddingsResult): EmbeddingsResult => {
  const prompt = billableUsage({ prompt_tokens: r.usage.prompt_tokens, completion_tokens: 0, total_tokens: 0 }).prompt_tokens;
  return { ...r, usage: { prompt_tokens: prompt, total_tokens: prompt } };
};

/**
 * The adapter boundary: every usage an adapter reports (JSON, stream, embeddings) leaves it through
 * `billableUsage`, whatever the adapter did inside, so the bill only ever sees non-negative integer
 * counts. Everything else passes through unchanged, optional methods staying absent where they are.
 */
export function withBillableUsage(inner: ProviderAdapter): ProviderAdapter {
  const { embeddingsRequest, parseEmbeddingsResponse } = inner;
  return {
    kind: inner.kind,
    chatRequest: (req, target, stream) => inner.chatRequest(req, target, stream),
    parseChatResponse: (body) => {
      const r = inner.parseChatResponse(body);
      return r.usage ? { ...r, usage: billableUsage(r.usage) } : r;
    },
    streamTranslator: () => billableStream(inner.streamTranslator()),
    ...(embeddingsRequest ? { embeddingsRequest: (req, target) => embeddingsRequest.call(inner, req, target) } : {}),
    ...(parseEmbeddingsResponse
      ? { parseEmbeddingsResponse: (body, req) => billableEmbeddings(parseEmbeddingsResponse.call(inner, body, req)) }
      : {}),
    parseError: (status, body) => inner.parseError(status, body),
  };
}
