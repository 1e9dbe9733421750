/**
 * Anthropic Messages request -> the gateway's chat request (pure). The translated request runs the
 * chat pipeline unchanged; the Anthropic adapter turns it back into Messages (signed thinking
 * included, through `reasoning_details`), the others into their own APIs.
 *
 * Choices worth knowing:
 * - tool_result blocks become `tool` messages placed before the rest of their user turn, as chat
 *   wants them right after the assistant's tool calls; an `is_error` result is marked in its text
 *   ("Error: ..."), chat having no flag for it.
 * - Thinking blocks go back as reasoning details only when signed (the Anthropic signature): an
 *   unsigned or empty-signature block came from another provider and means nothing to any upstream.
 * - `thinking.budget_tokens` becomes `reasoning.max_tokens` (Anthropic, Gemini budgets) and the
 *   effort of that share of max_tokens (OpenAI-style reasoning models).
 */
import { ANTHROPIC_REASONING_FORMAT } from '../../providers/reasoning';
import type { ChatMessage, ContentPart, ReasoningDetail, ToolCall, ToolChoice, ToolDef } from '../../providers/types';
import type {
  ContentBlockParam,
  ImageBlock,
  MessageParam,
  MessagesTool,
  MessagesToolChoice,
  Source,
  SystemBlock,
  TextBlock,
  ThinkingConfig,
} from './messages.types';

/** The Messages request as validated (MessagesDto). */
export interface MessagesRequest {
  model?: string;
  models?: string[];
  provider?: unknown;
  user?: string;
  max_tokens: number;
  messages: MessageParam[];
  system?: string | SystemBlock[];
  stream?: boolean;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stop_sequences?: string[];
  tools?: MessagesTool[];
  tool_choice?: MessagesToolChoice;
  thinking?: ThinkingConfig;
  metadata?: { user_id?: string | null };
  cache_control?: { type: 'ephemeral'; ttl?: '5m' | '1h' };
}

/** The chat request body it becomes (the fields of ChatCompletionDto it sets). */
export interface ChatBody {
  model?: string;
  models?: string[];
  provider?: unknown;
  messages: ChatMessage[];
  max_tokens: number;
  stream?: boolean;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stop?: string[];
  tools?: ToolDef[];
  tool_choice?: ToolChoice;
  parallel_tool_calls?: boolean;
  reasoning?: { effort?: string; max_tokens?: number; enabled?: boolean };
  user?: string;
  cache_control?: { type: 'ephemeral'; ttl?: '5m' | '1h' };
}

type Json = Record<string, unknown>;

const cacheOf = (b: { cache_control?: unknown }): Json => (b.cache_control ? { cache_control: b.cache_control } : {});

function sourceUrl(s: Source): string {
  if (s.type === 'url') return s.url;
  if (s.type === 'text') return `data:text/plain;base64,${Buffer.from(s.data, 'utf8').toString('base64')}`;
  return `data:${s.media_type};base64,${s.data}`;
}

function textPart(b: TextBlock): ContentPart {
  return { type: 'text', text: b.text, ...cacheOf(b) };
}

function imagePart(b: ImageBlock): ContentPart {
  return { type: 'image_url', image_url: { url: sourceUrl(b.source) }, ...cacheOf(b) };
}

/** Parts without cache_control are sent as one string: what every chat upstream takes. */
function compact(parts: ContentPart[]): string | ContentPart[] {
  const plain = parts.every((p) => p.type === 'text' && !(p as Json).cache_control);
  return plain ? parts.map((p) => (p as { text: string }).text).join('\n') : parts;
}

function toolMessage(b: Extract<ContentBlockParam, { type: 'tool_result' }>): ChatMessage {
  let content: string | ContentPart[];
  if (typeof b.content === 'string' || b.content === undefined) content = b.content ?? '';
  else content = compact(b.content.map((p) => (p.type === 'text' ? textPart(p) : imagePart(p))));
  if (b.is_error) {
    content = typeof content === 'string' ? `Error: ${content}` : [{ type: 'text', text: 'Error:' }, ...content];
  }
  return { role: 'tool', tool_call_id: b.tool_use_id, content };
}

function userMessages(content: string | ContentBlockParam[]): ChatMessage[] {
  if (typeof content === 'string') return [{ role: 'user', content }];
  const tools: ChatMessage[] = [];
  const parts: ContentPart[] = [];
  for (const b of content) {
    if (b.type === 'tool_result') tools.push(toolMessage(b));
    else if (b.type === 'text') parts.push(textPart(b));
    else if (b.type === 'image') parts.push(imagePart(b));
    else if (b.type === 'document') {
      parts.push(
        b.source.type === 'text'
          ? { type: 'text', text: b.source.data, ...cacheOf(b) }
          : { type: 'file', file: { filename: b.title ?? 'document.pdf', file_data: sourceUrl(b.source) }, ...cacheOf(b) },
      );
    }
  }
  return parts.length ? [...tools, { role: 'user', content: compact(parts) }] : tools;
}

function assistantMessage(content: string | ContentBlockParam[]): ChatMessage {
  if (typeof content === 'string') return { role: 'assistant', content };
  const parts: ContentPart[] = [];
  const calls: ToolCall[] = [];
  const details: ReasoningDetail[] = [];
  for (const b of content) {
    if (b.type === 'text') parts.push(textPart(b));
    else if (b.type === 'tool_use')
      calls.push({ id: b.id, type: 'function', function: { name: b.name, arguments: JSON.stringify(b.input) } });
    else if (b.type === 'thinking' && b.signature) {
      details.push({
        type: 'reasoning.text',
        text: b.thinking,
        signature: b.signature,
        format: ANTHROPIC_REASONING_FORMAT,
        index: details.length,
      });
    } else if (b.type === 'redacted_thinking') {
      details.push({ type: 'reasoning.encrypted', data: b.data, format: ANTHROPIC_REASONING_FORMAT, index: details.length });
    }
  }
  const text = parts.length ? compact(parts) : null;
  return {
    role: 'assistant',
    content: text ?? (calls.length ? null : ''),
    ...(calls.length ? { tool_calls: calls } : {}),
    ...(details.length ? { reasoning_details: details } : {}),
  };
}

function systemMessage(system: string | SystemBlock[]): ChatMessage | null {
  const content = typeof system === 'string' ? system : compact(system.map(textPart));
  return content.length ? { role: 'system', content } : null;
}

export function chatTools(tools: MessagesTool[]): ToolDef[] {
  return tools.map((t) => ({
    type: 'function',
    function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.input_schema },
  }));
}

export function chatToolChoice(c: MessagesToolChoice): ToolChoice {
  if (c.type === 'any') return 'required';
  if (c.type === 'tool') return { type: 'function', function: { name: c.name } };
  return c.type;
}

/** The effort whose share of max_tokens is nearest the budget (OpenRouter's ratios: low .2, medium .5, high .8). */
function effortOf(budget: number, maxTokens: number): string {
  const share = budget / maxTokens;
  return share < 0.35 ? 'low' : share < 0.65 ? 'medium' : 'high';
}

export function chatReasoning(t: ThinkingConfig, maxTokens: number): ChatBody['reasoning'] {
  if (t.type === 'disabled') return { enabled: false };
  if (t.type === 'adaptive') return { enabled: true };
  return { max_tokens: t.budget_tokens, effort: effortOf(t.budget_tokens, maxTokens) };
}

export function toChatBody(m: MessagesRequest): ChatBody {
  const messages: ChatMessage[] = [];
  const system = m.system === undefined ? null : systemMessage(m.system);
  if (system) messages.push(system);
  for (const msg of m.messages) {
    if (msg.role === 'user') messages.push(...userMessages(msg.content));
    else messages.push(assistantMessage(msg.content));
  }
  const body: ChatBody = { messages, max_tokens: m.max_tokens };
  if (m.model !== undefined) body.model = m.model;
  if (m.models !== undefined) body.models = m.models;
  if (m.provider !== undefined) body.provider = m.provider;
  if (m.stream !== undefined) body.stream = m.stream;
  if (m.temperature !== undefined) body.temperature = m.temperature;
  if (m.top_p !== undefined) body.top_p = m.top_p;
  if (m.top_k !== undefined) body.top_k = m.top_k;
  if (m.stop_sequences?.length) body.stop = m.stop_sequences;
  if (m.tools?.length) {
    body.tools = chatTools(m.tools);
    if (m.tool_choice) body.tool_choice = chatToolChoice(m.tool_choice);
  }
  if (m.tool_choice?.disable_parallel_tool_use) body.parallel_tool_calls = false;
  if (m.thinking) body.reasoning = chatReasoning(m.thinking, m.max_tokens);
  const user = m.metadata?.user_id ?? m.user;
  if (user) body.user = user;
  if (m.cache_control) body.cache_control = m.cache_control;
  return body;
}
