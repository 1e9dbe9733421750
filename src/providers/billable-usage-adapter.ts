import type { EmbeddingsResult, ProviderAdapter, StreamTranslator } from './types';
import { billableUsage } from './usage';

/**
 * The translator with its usage made billable. Everything else (serviceTier, usageFinal, whatever a
 * translator adds later) is the translator's own, called on the translator itself, so no method is
 * lost by being forgotten here.
 */
const billableStream = (t: StreamTranslator): StreamTranslator => {
  const usage = () => {
    const u = t.usage();
    return u && billableUsage(u);
  };
  // Bound once per method, not per chunk: push is called for every event of a stream.
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(t, {
    get(target, prop) {
      if (prop === 'usage') return usage;
      if (bound.has(prop)) return bound.get(prop);
      const value: unknown = Reflect.get(target, prop, target);
      const own = typeof value === 'function' ? value.bind(target) : value;
      if (typeof value === 'function') bound.set(prop, own);
      return own;
    },
  });
};

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
