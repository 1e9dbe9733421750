import { registerDecorator } from 'class-validator';

/** A class-validator decorator from a plain check: null when valid, else what is wrong. */
export function Check(fn: (value: unknown) => string | null): PropertyDecorator {
  return (target, property) =>
    registerDecorator({
      name: 'check',
      target: target.constructor,
      propertyName: String(property),
      validator: {
        validate: (value: unknown) => fn(value) === null,
        defaultMessage: (args) => `${args?.property} ${fn(args?.value) ?? 'is invalid'}`,
      },
    });
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);
const TOOL_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

function checkPart(p: unknown, where: string): string | null {
  if (!isObject(p) || typeof p.type !== 'string') return `${where} must be an object with a string type`;
  if (p.type === 'text' && typeof p.text !== 'string') return `${where}.text must be a string`;
  if (p.type === 'image_url' && !(isObject(p.image_url) && typeof p.image_url.url === 'string')) {
    return `${where}.image_url.url must be a string`;
  }
  return null;
}

function checkToolCalls(calls: unknown, where: string): string | null {
  if (!Array.isArray(calls)) return `${where} must be an array`;
  for (let i = 0; i < calls.length; i++) {
    const c: unknown = calls[i];
    if (!isObject(c) || typeof c.id !== 'string' || !isObject(c.function) || typeof c.function.name !== 'string') {
      return `${where}[${i}] must have an id and function.name`;
    }
    if (c.function.arguments !== undefined && typeof c.function.arguments !== 'string')
      return `${where}[${i}].function.arguments must be a string`;
  }
  return null;
}

/** A message list: an array of 1 to 10000 objects, each checked by `checkOne` (its problem, or null). */
export function checkEachMessage(v: unknown, checkOne: (m: Record<string, unknown>, at: string) => string | null): string | null {
  if (!Array.isArray(v)) return 'must be an array of messages';
  if (v.length === 0) return 'must contain at least one message';
  if (v.length > 10_000) return 'must contain at most 10000 messages';
  for (let i = 0; i < v.length; i++) {
    const m: unknown = v[i];
    const at = `[${i}]`;
    if (!isObject(m)) return `${at} must be an object`;
    const problem = checkOne(m, at);
    if (problem) return problem;
  }
  return null;
}

/** Chat messages: roles, content shapes, tool calls and tool results. */
export const checkMessages = (v: unknown): string | null => checkEachMessage(v, checkChatMessage);

function checkChatMessage(m: Record<string, unknown>, at: string): string | null {
  if (typeof m.role !== 'string' || !ROLES.has(m.role)) return `${at}.role must be one of system, developer, user, assistant, tool`;
  const c = m.content;
  if (typeof c !== 'string' && c !== null && c !== undefined) {
    if (!Array.isArray(c)) return `${at}.content must be a string or an array of content parts`;
    for (let j = 0; j < c.length; j++) {
      const problem = checkPart(c[j], `${at}.content[${j}]`);
      if (problem) return problem;
    }
  }
  if ((c === null || c === undefined) && !(m.role === 'assistant' && m.tool_calls !== undefined)) {
    return `${at}.content is required`;
  }
  if (m.name !== undefined && (typeof m.name !== 'string' || m.name.length > 256)) return `${at}.name must be a string`;
  if (m.tool_calls !== undefined) {
    if (m.role !== 'assistant') return `${at}.tool_calls is only for assistant messages`;
    const problem = checkToolCalls(m.tool_calls, `${at}.tool_calls`);
    if (problem) return problem;
  }
  if (m.role === 'tool' && typeof m.tool_call_id !== 'string') return `${at}.tool_call_id is required for tool messages`;
  return null;
}

export function checkTools(v: unknown): string | null {
  if (!Array.isArray(v)) return 'must be an array';
  if (v.length > 256) return 'must have at most 256 tools';
  for (let i = 0; i < v.length; i++) {
    const t: unknown = v[i];
    if (!isObject(t) || t.type !== 'function' || !isObject(t.function)) return `[${i}] must be {type:"function", function:{...}}`;
    if (typeof t.function.name !== 'string' || !TOOL_NAME.test(t.function.name))
      return `[${i}].function.name must be 1-64 of A-Z a-z 0-9 _ . -`;
    if (t.function.parameters !== undefined && !isObject(t.function.parameters)) return `[${i}].function.parameters must be an object`;
    if (t.function.description !== undefined && typeof t.function.description !== 'string')
      return `[${i}].function.description must be a string`;
  }
  return null;
}

export function checkToolChoice(v: unknown): string | null {
  if (v === 'none' || v === 'auto' || v === 'required') return null;
  if (isObject(v) && v.type === 'function' && isObject(v.function) && typeof v.function.name === 'string') return null;
  return 'must be none, auto, required or {type:"function", function:{name}}';
}

export function checkResponseFormat(v: unknown): string | null {
  if (!isObject(v)) return 'must be an object';
  if (v.type === 'text' || v.type === 'json_object') return null;
  if (v.type === 'json_schema') {
    if (!isObject(v.json_schema) || typeof v.json_schema.name !== 'string') return 'json_schema needs a name';
    if (v.json_schema.schema !== undefined && !isObject(v.json_schema.schema)) return 'json_schema.schema must be an object';
    return null;
  }
  return 'type must be text, json_object or json_schema';
}

export function checkStop(v: unknown): string | null {
  if (typeof v === 'string') return v.length <= 1000 ? null : 'is too long';
  if (Array.isArray(v) && v.length <= 16 && v.every((s) => typeof s === 'string' && s.length <= 1000)) return null;
  return 'must be a string or an array of at most 16 strings';
}

export function checkStringList(max: number, itemMax = 200) {
  return (v: unknown): string | null =>
    Array.isArray(v) && v.length <= max && v.every((s) => typeof s === 'string' && s.length > 0 && s.length <= itemMax)
      ? null
      : `must be an array of at most ${max} non-empty strings`;
}

export function checkObject(v: unknown): string | null {
  return isObject(v) ? null : 'must be an object';
}

export function checkEmbeddingInput(v: unknown): string | null {
  if (typeof v === 'string') return v.length ? null : 'must not be empty';
  if (!Array.isArray(v) || v.length === 0 || v.length > 2048) return 'must be a string or a non-empty array (at most 2048 items)';
  if (v.every((s) => typeof s === 'string')) return null;
  if (v.every((n) => Number.isInteger(n))) return null;
  if (v.every((a) => Array.isArray(a) && a.length > 0 && a.every((n) => Number.isInteger(n)))) return null;
  return 'must be a string, an array of strings, an array of token ids, or an array of arrays of token ids';
}

/** OpenAI's request `metadata`: at most 16 string pairs, keys up to 64 characters, values up to 512. */
export function checkMetadata(v: unknown): string | null {
  if (!isObject(v)) return 'must be an object';
  const entries = Object.entries(v);
  if (entries.length > 16) return 'must have at most 16 pairs';
  for (const [k, value] of entries) {
    if (k.length > 64) return 'keys must be at most 64 characters';
    if (typeof value !== 'string' || value.length > 512) return `${k} must be a string of at most 512 characters`;
  }
  return null;
}

/** `cache_control`: `{type: "ephemeral", ttl?: "5m" | "1h"}`. */
export function checkCacheControl(v: unknown): string | null {
  if (!isObject(v) || v.type !== 'ephemeral') return 'must be {type: "ephemeral", ttl?}';
  if (v.ttl !== undefined && v.ttl !== '5m' && v.ttl !== '1h') return 'ttl must be 5m or 1h';
  return null;
}

/** A plugin entry as OpenRouter takes it: `{id, enabled?, ...its own settings}`. */
export interface PluginEntry {
  id: string;
  enabled?: boolean;
  [setting: string]: unknown;
}

/**
 * `plugins`, with the ids this endpoint implements. Any other id is refused by name rather than
 * ignored: a client that asks for web search or PDF parsing must not get an answer made without
 * it. An entry with `enabled: false` asks for nothing and passes.
 */
export function checkPlugins(supported: readonly string[]) {
  return (v: unknown): string | null => {
    if (!Array.isArray(v) || v.length > 16) return 'must be an array of at most 16 plugins';
    for (let i = 0; i < v.length; i++) {
      const p: unknown = v[i];
      if (!isObject(p) || typeof p.id !== 'string' || p.id.length === 0 || p.id.length > 64) return `[${i}] must be an object with an id`;
      if (p.enabled !== undefined && typeof p.enabled !== 'boolean') return `[${i}].enabled must be a boolean`;
      if (p.enabled === false || supported.includes(p.id)) continue;
      const served = supported.length ? `the supported ones are ${supported.join(', ')}` : 'this endpoint supports none';
      return `[${i}]: the plugin "${p.id}" is not supported (${served})`;
    }
    return null;
  };
}

/** Whether a validated `plugins` list turns the plugin on. */
export const pluginEnabled = (plugins: PluginEntry[] | undefined, id: string): boolean =>
  plugins?.some((p) => p.id === id && p.enabled !== false) ?? false;
