/**
 * Pure checks of an Anthropic Messages request's structured fields (messages and their content
 * blocks, system, tools, tool_choice, thinking, metadata): null when valid, else what is wrong.
 * Block types the gateway cannot carry to every upstream (server tools, documents other than PDF
 * and text, ...) are refused by name rather than dropped.
 */
import { checkEachMessage, isObject } from '../../dto/checks';

const TOOL_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

function checkCache(b: Record<string, unknown>, at: string): string | null {
  const c = b.cache_control;
  if (c === undefined || c === null) return null;
  if (!isObject(c) || c.type !== 'ephemeral') return `${at}.cache_control must be {type: "ephemeral", ttl?}`;
  if (c.ttl !== undefined && c.ttl !== '5m' && c.ttl !== '1h') return `${at}.cache_control.ttl must be 5m or 1h`;
  return null;
}

function checkSource(b: Record<string, unknown>, at: string, kinds: 'image' | 'document'): string | null {
  const s = b.source;
  if (!isObject(s)) return `${at}.source must be an object`;
  if (s.type === 'url') {
    if (kinds === 'document') return `${at}.source.type must be base64 or text`;
    return typeof s.url === 'string' && /^https?:\/\//i.test(s.url) ? null : `${at}.source.url must be an http(s) URL`;
  }
  if (s.type === 'base64') {
    if (typeof s.data !== 'string' || typeof s.media_type !== 'string') return `${at}.source needs media_type and data`;
    if (kinds === 'image' && !IMAGE_TYPES.has(s.media_type))
      return `${at}.source.media_type must be image/jpeg, image/png, image/gif or image/webp`;
    if (kinds === 'document' && s.media_type !== 'application/pdf') return `${at}.source.media_type must be application/pdf`;
    return null;
  }
  if (kinds === 'document' && s.type === 'text') return typeof s.data === 'string' ? null : `${at}.source.data must be a string`;
  return `${at}.source.type must be ${kinds === 'image' ? 'base64 or url' : 'base64 or text'}`;
}

/** One block of a tool_result's content: text or image. */
function checkResultPart(b: unknown, at: string): string | null {
  if (!isObject(b)) return `${at} must be an object`;
  if (b.type === 'text') return typeof b.text === 'string' ? checkCache(b, at) : `${at}.text must be a string`;
  if (b.type === 'image') return checkSource(b, at, 'image') ?? checkCache(b, at);
  return `${at}.type must be text or image in a tool_result`;
}

function checkBlock(b: unknown, role: string, at: string): string | null {
  if (!isObject(b) || typeof b.type !== 'string') return `${at} must be an object with a string type`;
  const onlyFor = (r: string) => (role === r ? null : `${at}: ${String(b.type)} blocks belong in ${r} messages`);
  let problem: string | null;
  switch (b.type) {
    case 'text':
      problem = typeof b.text === 'string' ? null : `${at}.text must be a string`;
      break;
    case 'image':
      problem = onlyFor('user') ?? checkSource(b, at, 'image');
      break;
    case 'document':
      problem = onlyFor('user') ?? checkSource(b, at, 'document');
      break;
    case 'tool_use':
      problem =
        onlyFor('assistant') ??
        (typeof b.id === 'string' && b.id && typeof b.name === 'string' && isObject(b.input)
          ? null
          : `${at} needs an id, a name and an input object`);
      break;
    case 'tool_result': {
      problem = onlyFor('user') ?? (typeof b.tool_use_id === 'string' && b.tool_use_id ? null : `${at}.tool_use_id is required`);
      if (!problem && b.is_error !== undefined && typeof b.is_error !== 'boolean') problem = `${at}.is_error must be a boolean`;
      const c = b.content;
      if (!problem && c !== undefined && typeof c !== 'string') {
        if (!Array.isArray(c)) problem = `${at}.content must be a string or an array of blocks`;
        else for (let i = 0; i < c.length && !problem; i++) problem = checkResultPart(c[i], `${at}.content[${i}]`);
      }
      break;
    }
    case 'thinking':
      problem =
        onlyFor('assistant') ??
        (typeof b.thinking === 'string' && typeof b.signature === 'string' ? null : `${at} needs thinking and signature strings`);
      break;
    case 'redacted_thinking':
      problem = onlyFor('assistant') ?? (typeof b.data === 'string' ? null : `${at}.data must be a string`);
      break;
    default:
      return `${at}: content block type "${b.type}" is not supported`;
  }
  return problem ?? checkCache(b, at);
}

export const checkMessageList = (v: unknown): string | null => checkEachMessage(v, checkMessage);

function checkMessage(m: Record<string, unknown>, at: string): string | null {
  if (m.role !== 'user' && m.role !== 'assistant') return `${at}.role must be user or assistant`;
  if (typeof m.content === 'string') return null;
  if (!Array.isArray(m.content)) return `${at}.content must be a string or an array of content blocks`;
  for (let j = 0; j < m.content.length; j++) {
    const problem = checkBlock(m.content[j], m.role, `${at}.content[${j}]`);
    if (problem) return problem;
  }
  return null;
}

export function checkSystem(v: unknown): string | null {
  if (typeof v === 'string') return null;
  if (!Array.isArray(v)) return 'must be a string or an array of text blocks';
  for (let i = 0; i < v.length; i++) {
    const b: unknown = v[i];
    if (!isObject(b) || b.type !== 'text' || typeof b.text !== 'string') return `[${i}] must be a text block`;
    const problem = checkCache(b, `[${i}]`);
    if (problem) return problem;
  }
  return null;
}

/** Client tools (`input_schema`); Anthropic's server tools (web search, bash, ...) run at Anthropic only. */
export function checkMessageTools(v: unknown): string | null {
  if (!Array.isArray(v)) return 'must be an array';
  if (v.length > 256) return 'must have at most 256 tools';
  for (let i = 0; i < v.length; i++) {
    const t: unknown = v[i];
    if (!isObject(t)) return `[${i}] must be an object`;
    if (t.type !== undefined && t.type !== null && t.type !== 'custom')
      return `[${i}]: tool type "${String(t.type)}" is not supported (only client tools with an input_schema)`;
    if (typeof t.name !== 'string' || !TOOL_NAME.test(t.name)) return `[${i}].name must be 1-64 of A-Z a-z 0-9 _ . -`;
    if (!isObject(t.input_schema)) return `[${i}].input_schema must be an object`;
    if (t.description !== undefined && typeof t.description !== 'string') return `[${i}].description must be a string`;
    const problem = checkCache(t, `[${i}]`);
    if (problem) return problem;
  }
  return null;
}

export function checkMessageToolChoice(v: unknown): string | null {
  if (!isObject(v)) return 'must be an object';
  if (v.disable_parallel_tool_use !== undefined && typeof v.disable_parallel_tool_use !== 'boolean')
    return 'disable_parallel_tool_use must be a boolean';
  if (v.type === 'auto' || v.type === 'any' || v.type === 'none') return null;
  if (v.type === 'tool') return typeof v.name === 'string' && v.name ? null : 'needs the name of the tool';
  return 'type must be auto, any, tool or none';
}

export function checkThinking(v: unknown): string | null {
  if (!isObject(v)) return 'must be an object';
  if (v.type === 'disabled' || v.type === 'adaptive') return null;
  if (v.type === 'enabled') {
    return Number.isInteger(v.budget_tokens) && (v.budget_tokens as number) >= 1024
      ? null
      : 'budget_tokens must be an integer of at least 1024';
  }
  return 'type must be enabled, disabled or adaptive';
}

export function checkMessageMetadata(v: unknown): string | null {
  if (!isObject(v)) return 'must be an object';
  if (v.user_id !== undefined && v.user_id !== null && (typeof v.user_id !== 'string' || v.user_id.length > 256))
    return 'user_id must be a string of at most 256 characters';
  return null;
}

export function checkStopSequences(v: unknown): string | null {
  return Array.isArray(v) && v.length <= 16 && v.every((s) => typeof s === 'string' && s.length > 0 && s.length <= 1000)
    ? null
    : 'must be an array of at most 16 non-empty strings';
}
