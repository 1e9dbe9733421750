import { jsonrepair } from 'jsonrepair';
import type { ChatResult, ResponseFormat } from '../providers/types';

/** What a JSON answer must be at its top level: an object for json_object, and for a schema whatever its root type says. */
export type JsonShape = 'object' | 'array';

/**
 * The shape `response-healing` heals a non-streaming answer to, or null when it does not apply:
 * only for `json_object` and `json_schema` answers, as OpenRouter's plugin (a text answer is
 * left as the model wrote it).
 */
export function healingShape(format: ResponseFormat | undefined): JsonShape | null {
  if (format?.type === 'json_object') return 'object';
  if (format?.type !== 'json_schema') return null;
  return format.json_schema?.schema?.type === 'array' ? 'array' : 'object';
}

const FENCE = /```[A-Za-z0-9_-]*[^\S\n]*\n?([\s\S]*?)(?:```|$)/;

const parsesAs = (text: string, shape: JsonShape): boolean => {
  try {
    const v: unknown = JSON.parse(text);
    return shape === 'array' ? Array.isArray(v) : typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
};

/**
 * The JSON in a model's answer, repaired: the body of a markdown code fence, the document after
 * any words before it, then jsonrepair's fixes (trailing commas, missing closing brackets and
 * quotes, single quotes, unquoted keys, comments). Words after the document are dropped too.
 * Null when the text already is such a document, or when no repair gives one (the answer is then
 * passed on as it was: healing never makes an answer worse).
 */
export function healJson(text: string, shape: JsonShape): string | null {
  if (parsesAs(text, shape)) return null;
  const body = FENCE.exec(text)?.[1] ?? text;
  const start = body.indexOf(shape === 'object' ? '{' : '[');
  if (start < 0) return null;
  const doc = body.slice(start).trim();
  // The document alone, then up to its last closing bracket (words after it are not JSON).
  const end = doc.lastIndexOf(shape === 'object' ? '}' : ']');
  for (const candidate of end > 0 && end < doc.length - 1 ? [doc, doc.slice(0, end + 1)] : [doc]) {
    if (parsesAs(candidate, shape)) return candidate;
    try {
      const repaired = jsonrepair(candidate).trim();
      if (parsesAs(repaired, shape)) return repaired;
    } catch {
      // jsonrepair gives up on text it cannot read as JSON: try the next candidate.
    }
  }
  return null;
}

/** A non-streaming chat result with its content healed to `shape`; the same result when nothing needed healing. */
export function healResult(result: ChatResult, shape: JsonShape): ChatResult {
  const content = result.message.content;
  if (typeof content !== 'string') return result;
  const healed = healJson(content, shape);
  return healed === null ? result : { ...result, message: { ...result.message, content: healed } };
}
