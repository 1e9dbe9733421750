import { randomBytes } from 'node:crypto';
import { cleanUsage } from '../usage';
import { AdapterError, ChatResult, FinishReason, ToolCall, Usage } from '../types';
import { googleError, isObject, Json } from './gemini-wire';

const FINISH: Record<string, FinishReason> = {
  STOP: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content_filter',
  RECITATION: 'content_filter',
  BLOCKLIST: 'content_filter',
  PROHIBITED_CONTENT: 'content_filter',
  SPII: 'content_filter',
  IMAGE_SAFETY: 'content_filter',
  IMAGE_PROHIBITED_CONTENT: 'content_filter',
  IMAGE_RECITATION: 'content_filter',
  // The model produced an invalid or disallowed tool call: the output is not usable as it stands.
  MALFORMED_FUNCTION_CALL: 'error',
  UNEXPECTED_TOOL_CALL: 'error',
  TOO_MANY_TOOL_CALLS: 'error',
  // OTHER, LANGUAGE, FINISH_REASON_UNSPECIFIED and anything newer: stop (whatever was generated is kept).
};

export function finish(raw: unknown, hasToolCalls: boolean): FinishReason | null {
  if (typeof raw !== 'string') return null;
  if (raw === 'STOP' && hasToolCalls) return 'tool_calls';
  return FINISH[raw] ?? 'stop';
}

export function usageFrom(raw: unknown): Usage | null {
  if (!isObject(raw)) return null;
  const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return cleanUsage({
    prompt: raw.promptTokenCount,
    completion: num(raw.candidatesTokenCount) + num(raw.thoughtsTokenCount),
    cached: raw.cachedContentTokenCount,
    reasoning: raw.thoughtsTokenCount,
  });
}

export const callId = (index: number): string => `call_${index}_${randomBytes(6).toString('hex')}`;

interface CandidateParts {
  text: string;
  reasoning: string;
  calls: { name: string; args: unknown }[];
}

export function readParts(candidate: Json | undefined): CandidateParts {
  const out: CandidateParts = { text: '', reasoning: '', calls: [] };
  const content = candidate?.content;
  const parts = isObject(content) && Array.isArray(content.parts) ? content.parts : [];
  for (const p of parts) {
    if (!isObject(p)) continue;
    if (typeof p.text === 'string') {
      if (p.thought === true) out.reasoning += p.text;
      else out.text += p.text;
    } else if (isObject(p.functionCall) && typeof p.functionCall.name === 'string') {
      out.calls.push({ name: p.functionCall.name, args: p.functionCall.args ?? {} });
    }
  }
  return out;
}

/** A generateContent body as a chat result: a prompt blocked outright is a content_filter finish. */
export function parseGeminiChatResponse(body: unknown): ChatResult {
  if (!isObject(body)) throw new AdapterError('response is not a JSON object');
  const err = googleError(body);
  if (err) throw new AdapterError(`upstream error in a 2xx body: ${err.message}`);
  const candidates = Array.isArray(body.candidates) ? body.candidates : [];
  const usage = usageFrom(body.usageMetadata);
  if (!candidates.length) {
    const block = isObject(body.promptFeedback) ? body.promptFeedback.blockReason : undefined;
    if (typeof block !== 'string') throw new AdapterError('response has no candidates');
    return { message: { role: 'assistant', content: '' }, finishReason: 'content_filter', nativeFinishReason: block, usage };
  }
  const candidate = isObject(candidates[0]) ? candidates[0] : undefined;
  const { text, reasoning, calls } = readParts(candidate);
  const toolCalls: ToolCall[] = calls.map((c, i) => ({
    id: callId(i),
    type: 'function',
    function: { name: c.name, arguments: JSON.stringify(c.args) },
  }));
  const raw = candidate?.finishReason;
  return {
    message: {
      role: 'assistant',
      content: text || (toolCalls.length ? null : ''),
      ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
      ...(reasoning ? { reasoning } : {}),
    },
    finishReason: finish(raw, toolCalls.length > 0),
    nativeFinishReason: typeof raw === 'string' ? raw : null,
    usage,
  };
}
