import { AdapterError, ChunkDelta, SseEvent, StreamTranslator, Usage } from '../types';
import { googleError, isObject } from './gemini-wire';
import { callId, finish, readParts, usageFrom } from './gemini.response';

/** Translates one streamGenerateContent (`alt=sse`) stream into canonical deltas. */
export function geminiStreamTranslator(): StreamTranslator {
  let usage: Usage | null = null;
  // Every chunk carries the prompt count; the chunk with the finish reason carries the bill.
  let usageFinal = false;
  let done = false;
  let error: { message: string; code?: string } | null = null;
  let started = false;
  let toolIndex = 0;
  const withRole = (delta: ChunkDelta['delta']): ChunkDelta['delta'] => {
    if (started) return delta;
    started = true;
    return { role: 'assistant', ...delta };
  };
  return {
    push(event: SseEvent): ChunkDelta[] {
      if (event.data === '[DONE]') {
        done = true;
        return [];
      }
      let chunk: unknown;
      try {
        chunk = JSON.parse(event.data);
      } catch {
        throw new AdapterError('stream event is not JSON');
      }
      const err = googleError(chunk);
      if (err) {
        error = err;
        return [];
      }
      if (!isObject(chunk)) throw new AdapterError('stream event is not a JSON object');
      if (chunk.usageMetadata) usage = usageFrom(chunk.usageMetadata) ?? usage;
      if (done) {
        if (chunk.usageMetadata) usageFinal = true;
        return [];
      }
      const out: ChunkDelta[] = [];
      const candidates = Array.isArray(chunk.candidates) ? chunk.candidates : [];
      if (!candidates.length) {
        const block = isObject(chunk.promptFeedback) ? chunk.promptFeedback.blockReason : undefined;
        if (typeof block === 'string') {
          done = true;
          if (chunk.usageMetadata) usageFinal = true;
          out.push({ delta: withRole({}), finishReason: 'content_filter', nativeFinishReason: block });
        }
        return out;
      }
      const candidate = isObject(candidates[0]) ? candidates[0] : undefined;
      const { text, reasoning, calls } = readParts(candidate);
      const delta: ChunkDelta['delta'] = {};
      if (reasoning) delta.reasoning = reasoning;
      if (text) delta.content = text;
      if (calls.length) {
        delta.tool_calls = calls.map((c) => {
          const index = toolIndex++;
          return { index, id: callId(index), type: 'function' as const, function: { name: c.name, arguments: JSON.stringify(c.args) } };
        });
      }
      if (Object.keys(delta).length) out.push({ delta: withRole(delta) });
      const raw = candidate?.finishReason;
      if (typeof raw === 'string') {
        done = true;
        if (chunk.usageMetadata) usageFinal = true;
        out.push({ delta: withRole({}), finishReason: finish(raw, toolIndex > 0), nativeFinishReason: raw });
      }
      return out;
    },
    usage: () => usage,
    usageFinal: () => usageFinal,
    done: () => done,
    error: () => error,
  };
}
