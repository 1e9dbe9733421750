/**
 * Checks of the Responses API's request fields (class-validator runs them through `Check`): null
 * when valid, else what is wrong, naming the item and field so a client can fix its request.
 */

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const TOOL_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const MESSAGE_ROLES = new Set(['user', 'assistant', 'system', 'developer']);
export const REASONING_EFFORTS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'];

/** An input content part: text, an image (a URL or data URL), a file (its data or URL); ids of stored files are not served here. */
function checkPart(p: unknown, at: string): string | null {
  if (!isObject(p) || typeof p.type !== 'string') return `${at} must be an object with a string type`;
  switch (p.type) {
    case 'input_text':
    case 'output_text':
      return typeof p.text === 'string' ? null : `${at}.text must be a string`;
    case 'refusal':
      return typeof p.refusal === 'string' ? null : `${at}.refusal must be a string`;
    case 'input_image':
      if (typeof p.image_url === 'string') return null;
      return p.file_id !== undefined
        ? `${at}.file_id is not supported: send image_url (a URL or a data URL)`
        : `${at}.image_url must be a string`;
    case 'input_file':
      if (typeof p.file_data === 'string' || typeof p.file_url === 'string') return null;
      return p.file_id !== undefined ? `${at}.file_id is not supported: send file_data or file_url` : `${at} needs file_data or file_url`;
    default:
      return `${at}.type ${JSON.stringify(p.type).slice(0, 40)} is not supported (input_text, input_image, input_file, output_text, refusal)`;
  }
}

function checkContent(c: unknown, at: string): string | null {
  if (typeof c === 'string') return null;
  if (!Array.isArray(c)) return `${at} must be a string or an array of content parts`;
  for (let j = 0; j < c.length; j++) {
    const problem = checkPart(c[j], `${at}[${j}]`);
    if (problem) return problem;
  }
  return null;
}

/** The type of an input item; a bare `{role, content}` is a message. */
export const itemType = (item: Record<string, unknown>): unknown => item.type ?? (item.role !== undefined ? 'message' : undefined);

function checkItem(item: unknown, at: string): string | null {
  if (!isObject(item)) return `${at} must be an object`;
  const type = itemType(item);
  switch (type) {
    case 'message':
      if (typeof item.role !== 'string' || !MESSAGE_ROLES.has(item.role))
        return `${at}.role must be one of user, assistant, system, developer`;
      return checkContent(item.content, `${at}.content`);
    case 'function_call':
      if (typeof item.call_id !== 'string' || item.call_id.length === 0) return `${at}.call_id must be a non-empty string`;
      if (typeof item.name !== 'string' || !TOOL_NAME.test(item.name)) return `${at}.name must be 1-64 of A-Z a-z 0-9 _ . -`;
      return typeof item.arguments === 'string' ? null : `${at}.arguments must be a string`;
    case 'function_call_output':
      if (typeof item.call_id !== 'string' || item.call_id.length === 0) return `${at}.call_id must be a non-empty string`;
      return checkContent(item.output, `${at}.output`);
    case 'reasoning':
      return item.summary === undefined || Array.isArray(item.summary) ? null : `${at}.summary must be an array`;
    case 'item_reference':
      return `${at}: item_reference is not supported: this endpoint is stateless and stores no items; send the items themselves`;
    default:
      return `${at}.type ${JSON.stringify(type ?? null).slice(0, 40)} is not supported (message, function_call, function_call_output, reasoning)`;
  }
}

/** `input`: a string (one user message) or a non-empty list of items. */
export function checkInput(v: unknown): string | null {
  if (typeof v === 'string') return null;
  if (!Array.isArray(v)) return 'must be a string or an array of input items';
  if (v.length === 0) return 'must contain at least one item';
  if (v.length > 10_000) return 'must contain at most 10000 items';
  for (let i = 0; i < v.length; i++) {
    const problem = checkItem(v[i], `[${i}]`);
    if (problem) return problem;
  }
  return null;
}

/** Function tools, as the Responses API writes them (`{type, name, parameters}`, not nested under `function`). */
export function checkResponsesTools(v: unknown): string | null {
  if (!Array.isArray(v)) return 'must be an array';
  if (v.length > 256) return 'must have at most 256 tools';
  for (let i = 0; i < v.length; i++) {
    const t: unknown = v[i];
    if (!isObject(t)) return `[${i}] must be an object`;
    if (t.type !== 'function')
      return `[${i}].type ${JSON.stringify(t.type ?? null).slice(0, 40)} is not supported: only function tools are`;
    if (typeof t.name !== 'string' || !TOOL_NAME.test(t.name)) return `[${i}].name must be 1-64 of A-Z a-z 0-9 _ . -`;
    if (t.parameters !== undefined && t.parameters !== null && !isObject(t.parameters)) return `[${i}].parameters must be an object`;
    if (t.description !== undefined && t.description !== null && typeof t.description !== 'string')
      return `[${i}].description must be a string`;
    if (t.strict !== undefined && t.strict !== null && typeof t.strict !== 'boolean') return `[${i}].strict must be a boolean`;
  }
  return null;
}

export function checkResponsesToolChoice(v: unknown): string | null {
  if (v === 'none' || v === 'auto' || v === 'required') return null;
  if (isObject(v) && v.type === 'function' && typeof v.name === 'string') return null;
  return 'must be none, auto, required or {type:"function", name}';
}

export function checkReasoning(v: unknown): string | null {
  if (!isObject(v)) return 'must be an object';
  if (v.effort !== undefined && v.effort !== null && !REASONING_EFFORTS.includes(v.effort as string))
    return `effort must be one of ${REASONING_EFFORTS.join(', ')}`;
  for (const k of ['summary', 'generate_summary']) {
    if (v[k] !== undefined && v[k] !== null && !['auto', 'concise', 'detailed'].includes(v[k] as string))
      return `${k} must be auto, concise or detailed`;
  }
  if (v.max_tokens !== undefined && v.max_tokens !== null && !(Number.isInteger(v.max_tokens) && (v.max_tokens as number) > 0))
    return 'max_tokens must be a positive integer';
  for (const k of ['enabled', 'exclude'])
    if (v[k] !== undefined && v[k] !== null && typeof v[k] !== 'boolean') return `${k} must be a boolean`;
  return null;
}

/** `text`: the output format (text, json_object, or json_schema with its name and schema) and verbosity. */
export function checkText(v: unknown): string | null {
  if (!isObject(v)) return 'must be an object';
  const f = v.format;
  if (f !== undefined && f !== null) {
    if (!isObject(f)) return 'format must be an object';
    if (f.type === 'json_schema') {
      if (typeof f.name !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(f.name)) return 'format.name must be 1-64 of A-Z a-z 0-9 _ -';
      if (!isObject(f.schema)) return 'format.schema must be an object';
      if (f.strict !== undefined && f.strict !== null && typeof f.strict !== 'boolean') return 'format.strict must be a boolean';
      if (f.description !== undefined && f.description !== null && typeof f.description !== 'string')
        return 'format.description must be a string';
    } else if (f.type !== 'text' && f.type !== 'json_object') {
      return 'format.type must be text, json_object or json_schema';
    }
  }
  if (v.verbosity !== undefined && v.verbosity !== null && !['low', 'medium', 'high'].includes(v.verbosity as string))
    return 'verbosity must be low, medium or high';
  return null;
}
