/**
 * Anthropic Messages API (`POST /v1/messages`) <-> the gateway's canonical Chat Completions shapes.
 *
 * Choices worth knowing (see also the spec):
 * - JSON mode: Anthropic has no `response_format`, so json_object / json_schema become an
 *   instruction appended to the system prompt (with the schema when given). Best effort, not a
 *   guarantee: the output is not validated here.
 * - Assistant tool call arguments that are not a JSON object (Anthropic requires an object for
 *   `tool_use.input`) are kept verbatim as `{ _raw_arguments: "<the string>" }` so the model still
 *   sees what it produced; empty arguments become `{}`.
 * - Reasoning becomes extended thinking. Anthropic rejects temperature / top_k and forced tool
 *   calls with thinking and needs a budget in [1024, max_tokens): those samplers are dropped,
 *   and thinking is left out when a tool call is forced or max_tokens is too small.
 */
import { AppError } from '../../common/errors/app-error';
import { ANTHROPIC_REASONING_FORMAT, effortRatio, resolveReasoning } from '../reasoning';
import {
  AdapterError,
  type AssistantMessage,
  type ChatMessage,
  type ChatRequest,
  type ChatResult,
  type ChunkDelta,
  type ContentPart,
  type FinishReason,
  type HttpRequestSpec,
  type ProviderAdapter,
  type ReasoningDetail,
  type SseEvent,
  type StreamTranslator,
  type ToolCall,
  type UpstreamTarget,
  type Usage,
} from '../types';

export const ANTHROPIC_VERSION = '2023-06-01';
/** Anthropic's minimum `thinking.budget_tokens`. */
export const MIN_THINKING_BUDGET = 1024;
const MAX_EFFORT_BUDGET = 32000;
const ERROR_TEXT_LIMIT = 500;

type Json = Record<string, unknown>;
type Block = Json & { type: string };
interface Turn {
  role: 'user' | 'assistant';
  content: Block[];
}

export class AnthropicAdapter implements ProviderAdapter {
  readonly kind = 'anthropic' as const;

  chatRequest(req: ChatRequest, target: UpstreamTarget, stream: boolean): HttpRequestSpec {
    const body: Json = { model: target.model, max_tokens: req.max_tokens };

    const system = systemBlocks(req);
    if (system.length) {
      // A plain string unless the client asked for prompt caching on a system part.
      body.system = system.some((b) => b.cache_control) ? system : system.map((b) => b.text as string).join('\n\n');
    }
    body.messages = toTurns(req.messages);

    const choice = req.tools?.length ? toolChoice(req) : null;
    // Anthropic refuses thinking together with a forced tool call; the forced call wins.
    const forced = choice?.type === 'any' || choice?.type === 'tool';
    const thinking = forced ? null : thinkingConfig(req);
    if (thinking) body.thinking = thinking;
    if (req.temperature !== undefined && !thinking) body.temperature = Math.min(1, Math.max(0, req.temperature));
    if (req.top_p !== undefined) body.top_p = thinking ? Math.max(0.95, req.top_p) : req.top_p;
    if (req.top_k !== undefined && !thinking) body.top_k = req.top_k;

    const stops = (typeof req.stop === 'string' ? [req.stop] : (req.stop ?? [])).filter((s) => s.trim() !== '');
    if (stops.length) body.stop_sequences = stops;

    if (req.tools?.length) {
      body.tools = req.tools.map((t) => ({
        name: t.function.name,
        ...(t.function.description ? { description: t.function.description } : {}),
        input_schema: t.function.parameters ?? { type: 'object', properties: {} },
      }));
      if (choice) body.tool_choice = choice;
    }

    // Automatic caching: Anthropic puts the breakpoint on the last cacheable block itself.
    if (req.cache_control) body.cache_control = req.cache_control;
    if (req.user) body.metadata = { user_id: req.user };
    if (stream) body.stream = true;

    const headers: Record<string, string> = {
      'anthropic-version': ANTHROPIC_VERSION,
      'content-type': 'application/json',
    };
    if (target.apiKey) headers['x-api-key'] = target.apiKey;
    return { method: 'POST', url: `${target.baseUrl.replace(/\/+$/, '')}/messages`, headers, body: JSON.stringify(body) };
  }

  parseChatResponse(body: unknown): ChatResult {
    if (!isObject(body) || body.type !== 'message' || !Array.isArray(body.content)) {
      throw new AdapterError('Anthropic response is not a message');
    }
    const text: string[] = [];
    const thinking: string[] = [];
    const details: ReasoningDetail[] = [];
    const toolCalls: ToolCall[] = [];
    for (const block of body.content as unknown[]) {
      if (!isObject(block)) continue;
      if (block.type === 'text' && typeof block.text === 'string') text.push(block.text);
      else if (block.type === 'thinking' && typeof block.thinking === 'string') {
        thinking.push(block.thinking);
        // The signature lets the client send the thinking back on its next turn (required with tool use).
        if (typeof block.signature === 'string' && block.signature) {
          details.push({
            type: 'reasoning.text',
            text: block.thinking,
            signature: block.signature,
            format: ANTHROPIC_REASONING_FORMAT,
            index: details.length,
          });
        }
      } else if (block.type === 'redacted_thinking' && typeof block.data === 'string') {
        details.push({ type: 'reasoning.encrypted', data: block.data, format: ANTHROPIC_REASONING_FORMAT, index: details.length });
      } else if (block.type === 'tool_use') {
        toolCalls.push({
          id: String(block.id),
          type: 'function',
          function: { name: String(block.name), arguments: JSON.stringify(block.input ?? {}) },
        });
      }
    }
    const message: AssistantMessage = { role: 'assistant', content: text.length ? text.join('') : null };
    if (thinking.length) message.reasoning = thinking.join('');
    if (details.length) message.reasoning_details = details;
    if (toolCalls.length) message.tool_calls = toolCalls;
    const stopReason = typeof body.stop_reason === 'string' ? body.stop_reason : null;
    return {
      message,
      finishReason: mapStopReason(stopReason),
      nativeFinishReason: stopReason,
      usage: isObject(body.usage) ? toUsage(usageCounts({}, body.usage)) : null,
    };
  }

  streamTranslator(): StreamTranslator {
    return new AnthropicStreamTranslator();
  }

  parseError(status: number, body: string): { message: string; code?: string } {
    try {
      const parsed: unknown = JSON.parse(body);
      if (isObject(parsed) && isObject(parsed.error) && typeof parsed.error.message === 'string') {
        const code = parsed.error.type;
        return { message: parsed.error.message, ...(typeof code === 'string' ? { code } : {}) };
      }
    } catch {
      // Not JSON (a proxy's HTML page, ...): fall through to the raw text.
    }
    const text = body.trim().slice(0, ERROR_TEXT_LIMIT);
    return { message: text || `Anthropic answered HTTP ${status}` };
  }
}

interface Counts {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
  cacheWrite1h?: number;
}

/** Merges the usage fields present in an Anthropic usage object into `prev`. */
function usageCounts(prev: Counts, u: Json): Counts {
  const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  return {
    input: num(u.input_tokens) ?? prev.input,
    output: num(u.output_tokens) ?? prev.output,
    cacheRead: num(u.cache_read_input_tokens) ?? prev.cacheRead,
    cacheWrite: num(u.cache_creation_input_tokens) ?? prev.cacheWrite,
    // Of which written to the 1-hour cache, billed at its own (higher) price.
    cacheWrite1h: num((u.cache_creation as Json | undefined)?.ephemeral_1h_input_tokens) ?? prev.cacheWrite1h,
  };
}

function toUsage(c: Counts): Usage {
  const cached = c.cacheRead ?? 0;
  const written = c.cacheWrite ?? 0;
  // Anthropic's input_tokens excludes cached and cache-written tokens; OpenAI's prompt_tokens includes them.
  const prompt = (c.input ?? 0) + cached + written;
  const completion = c.output ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: {
      cached_tokens: cached,
      cache_write_tokens: written,
      ...(c.cacheWrite1h ? { cache_write_1h_tokens: Math.min(Math.max(0, Math.floor(c.cacheWrite1h)), written) } : {}),
    },
  };
}

export function mapStopReason(reason: string | null): FinishReason | null {
  switch (reason) {
    case null:
      return null;
    case 'end_turn':
    case 'stop_sequence':
    case 'pause_turn':
      return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop';
  }
}

class AnthropicStreamTranslator implements StreamTranslator {
  private counts: Counts | null = null;
  /** message_delta carries the output count the message is billed; message_start's is a placeholder. */
  private countsFinal = false;
  private finished = false;
  private failure: { message: string; code?: string } | null = null;
  private roleSent = false;
  private nextToolIndex = 0;
  private nextDetail = 0;
  /** Anthropic content block index -> OpenAI tool call index, and whether arguments were sent. */
  private tools = new Map<number, { index: number; sentArgs: boolean }>();

  push(event: SseEvent): ChunkDelta[] {
    let data: unknown;
    try {
      data = JSON.parse(event.data);
    } catch {
      throw new AdapterError(`Anthropic stream event is not JSON: ${event.data.slice(0, 100)}`);
    }
    if (!isObject(data)) throw new AdapterError('Anthropic stream event is not an object');
    const type = typeof data.type === 'string' ? data.type : event.event;
    const out: ChunkDelta[] = [];

    switch (type) {
      case 'message_start': {
        const usage = isObject(data.message) && isObject(data.message.usage) ? data.message.usage : null;
        if (usage) this.counts = usageCounts(this.counts ?? {}, usage);
        this.emit(out, {});
        break;
      }
      case 'content_block_start': {
        const block = isObject(data.content_block) ? data.content_block : {};
        const blockIndex = Number(data.index);
        if (block.type === 'text' && typeof block.text === 'string' && block.text) {
          this.emit(out, { content: block.text });
        } else if (block.type === 'thinking' && typeof block.thinking === 'string' && block.thinking) {
          this.emit(out, { reasoning: block.thinking });
        } else if (block.type === 'redacted_thinking' && typeof block.data === 'string') {
          this.emit(out, {
            reasoning_details: [
              { type: 'reasoning.encrypted', data: block.data, format: ANTHROPIC_REASONING_FORMAT, index: this.nextDetail++ },
            ],
          });
        } else if (block.type === 'tool_use') {
          const index = this.nextToolIndex++;
          this.tools.set(blockIndex, { index, sentArgs: false });
          this.emit(out, {
            tool_calls: [{ index, id: String(block.id), type: 'function', function: { name: String(block.name), arguments: '' } }],
          });
        }
        break;
      }
      case 'content_block_delta': {
        const delta = isObject(data.delta) ? data.delta : {};
        if (delta.type === 'text_delta' && typeof delta.text === 'string' && delta.text) {
          this.emit(out, { content: delta.text });
        } else if (delta.type === 'thinking_delta' && typeof delta.thinking === 'string' && delta.thinking) {
          this.emit(out, { reasoning: delta.thinking });
        } else if (delta.type === 'input_json_delta' && typeof delta.partial_json === 'string' && delta.partial_json) {
          const tool = this.tools.get(Number(data.index));
          if (tool) {
            tool.sentArgs = true;
            this.emit(out, { tool_calls: [{ index: tool.index, function: { arguments: delta.partial_json } }] });
          }
        } else if (delta.type === 'signature_delta' && typeof delta.signature === 'string' && delta.signature) {
          this.emit(out, {
            reasoning_details: [
              { type: 'reasoning.text', signature: delta.signature, format: ANTHROPIC_REASONING_FORMAT, index: this.nextDetail++ },
            ],
          });
        }
        // citations_delta: nothing to forward in Chat Completions.
        break;
      }
      case 'content_block_stop': {
        // A tool called without arguments streams no JSON at all; clients expect parseable arguments.
        const tool = this.tools.get(Number(data.index));
        if (tool && !tool.sentArgs) {
          tool.sentArgs = true;
          this.emit(out, { tool_calls: [{ index: tool.index, function: { arguments: '{}' } }] });
        }
        break;
      }
      case 'message_delta': {
        if (isObject(data.usage)) {
          this.counts = usageCounts(this.counts ?? {}, data.usage);
          this.countsFinal = true;
        }
        const delta = isObject(data.delta) ? data.delta : {};
        const reason = typeof delta.stop_reason === 'string' ? delta.stop_reason : null;
        if (reason) this.emit(out, {}, { finishReason: mapStopReason(reason), nativeFinishReason: reason });
        break;
      }
      case 'message_stop':
        this.finished = true;
        break;
      case 'error': {
        const err = isObject(data.error) ? data.error : {};
        this.failure = {
          message: typeof err.message === 'string' ? err.message : 'Anthropic stream error',
          ...(typeof err.type === 'string' ? { code: err.type } : {}),
        };
        break;
      }
      default:
        // ping and event types added later: nothing to forward.
        break;
    }
    return out;
  }

  usage(): Usage | null {
    return this.counts ? toUsage(this.counts) : null;
  }

  usageFinal(): boolean {
    return this.countsFinal;
  }

  done(): boolean {
    return this.finished;
  }

  error(): { message: string; code?: string } | null {
    return this.failure;
  }

  /** Adds a delta; the first one of the stream carries the role. */
  private emit(out: ChunkDelta[], delta: ChunkDelta['delta'], finish?: Omit<ChunkDelta, 'delta'>): void {
    const d: ChunkDelta['delta'] = this.roleSent ? delta : { role: 'assistant', ...delta };
    this.roleSent = true;
    out.push(finish ? { delta: d, ...finish } : { delta: d });
  }
}

// ---- request translation ----

function systemBlocks(req: ChatRequest): Block[] {
  const blocks: Block[] = [];
  for (const m of req.messages) {
    if (m.role !== 'system' && m.role !== 'developer') continue;
    if (typeof m.content === 'string') {
      if (m.content) blocks.push({ type: 'text', text: m.content });
    } else if (Array.isArray(m.content)) {
      for (const p of m.content) {
        if (p.type === 'text' && typeof p.text === 'string' && p.text) {
          blocks.push({ type: 'text', text: p.text, ...cacheControl(p) });
        }
      }
    }
  }
  const instruction = jsonInstruction(req);
  if (instruction) blocks.push({ type: 'text', text: instruction });
  return blocks;
}

/** The system prompt addition standing in for response_format (Anthropic has no JSON mode). */
export function jsonInstruction(req: ChatRequest): string | null {
  const rf = req.response_format;
  if (!rf || rf.type === 'text') return null;
  const base = 'Respond with only a JSON object: no code fences, no explanations, no text before or after it.';
  if (rf.type === 'json_schema' && rf.json_schema.schema) {
    return `${base} The JSON object must conform to this JSON Schema:\n${JSON.stringify(rf.json_schema.schema)}`;
  }
  return base;
}

function toTurns(messages: ChatMessage[]): Turn[] {
  const turns: Turn[] = [];
  for (const m of messages) {
    if (m.role === 'system' || m.role === 'developer') continue;
    const role = m.role === 'assistant' ? 'assistant' : 'user';
    const blocks = m.role === 'tool' ? [toolResult(m)] : m.role === 'assistant' ? assistantBlocks(m) : contentBlocks(m);
    if (!blocks.length) continue;
    const last = turns[turns.length - 1];
    // Anthropic requires alternating roles: consecutive messages of one role become one turn.
    if (last && last.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  }
  for (const t of turns) {
    // tool_result blocks must open the user turn that answers the tool calls.
    if (t.role === 'user') t.content = [...t.content.filter(isToolResult), ...t.content.filter((b) => !isToolResult(b))];
  }
  // A trailing assistant turn is a prefill, which Anthropic rejects with trailing whitespace.
  const tail = turns[turns.length - 1];
  const lastBlock = tail?.role === 'assistant' ? tail.content[tail.content.length - 1] : undefined;
  if (lastBlock?.type === 'text') lastBlock.text = (lastBlock.text as string).trimEnd();
  return turns;
}

function isToolResult(b: Block): boolean {
  return b.type === 'tool_result';
}

function contentBlocks(m: ChatMessage): Block[] {
  const blocks: Block[] = [];
  if (typeof m.content === 'string') {
    if (m.content) blocks.push({ type: 'text', text: m.content });
  } else if (Array.isArray(m.content)) {
    for (const p of m.content) {
      const b = partToBlock(p);
      if (b) blocks.push(b);
    }
  }
  if (m.name) {
    const first = blocks.find((b) => b.type === 'text');
    if (first) first.text = `${m.name}: ${first.text as string}`;
    else if (blocks.length) blocks.unshift({ type: 'text', text: `${m.name}:` });
  }
  return blocks;
}

function assistantBlocks(m: ChatMessage): Block[] {
  // Thinking the client sends back (signed, or redacted) goes first, as Anthropic produced it.
  const blocks = [...thinkingBlocks(m.reasoning_details), ...contentBlocks(m)];
  for (const call of m.tool_calls ?? []) {
    blocks.push({ type: 'tool_use', id: call.id, name: call.function.name, input: toolInput(call.function.arguments) });
  }
  return blocks;
}

/** An assistant message's reasoning details -> the thinking blocks Anthropic signed; unsigned reasoning is dropped. */
function thinkingBlocks(details: unknown): Block[] {
  if (!Array.isArray(details)) return [];
  const blocks: Block[] = [];
  for (const d of details as unknown[]) {
    if (!isObject(d)) continue;
    if (d.type === 'reasoning.text' && typeof d.signature === 'string' && d.signature) {
      blocks.push({ type: 'thinking', thinking: typeof d.text === 'string' ? d.text : '', signature: d.signature });
    } else if (d.type === 'reasoning.encrypted' && typeof d.data === 'string' && d.data) {
      blocks.push({ type: 'redacted_thinking', data: d.data });
    }
  }
  return blocks;
}

/** OpenAI arguments (a JSON string) -> Anthropic `input` (must be an object). */
export function toolInput(args: string | undefined): Json {
  if (!args || !args.trim()) return {};
  try {
    const parsed: unknown = JSON.parse(args);
    if (isObject(parsed)) return parsed;
  } catch {
    // Falls through: keep what the model produced rather than losing it.
  }
  return { _raw_arguments: args };
}

function toolResult(m: ChatMessage): Block {
  let content: string | Block[];
  if (Array.isArray(m.content)) {
    content = m.content.map(partToBlock).filter((b): b is Block => b !== null);
  } else {
    content = m.content ?? '';
  }
  return { type: 'tool_result', tool_use_id: m.tool_call_id ?? '', ...(content.length ? { content } : {}) };
}

function partToBlock(p: ContentPart): Block | null {
  const cache = cacheControl(p);
  if (p.type === 'text') {
    const text = typeof p.text === 'string' ? p.text : '';
    return text ? { type: 'text', text, ...cache } : null;
  }
  if (p.type === 'image_url') {
    const url = isObject(p.image_url) && typeof p.image_url.url === 'string' ? p.image_url.url : '';
    return { type: 'image', source: imageSource(url), ...cache };
  }
  if (p.type === 'file' && isObject(p.file) && typeof p.file.file_data === 'string') {
    const data = parseDataUrl(p.file.file_data);
    if (data) return { type: 'document', source: { type: 'base64', ...data }, ...cache };
  }
  throw new AppError('invalid_request', `Content part type "${p.type}" is not supported by Anthropic models`);
}

/** OpenRouter-style prompt caching: `cache_control` on a part is passed through as Anthropic's. */
function cacheControl(p: ContentPart): Json {
  const c = (p as Json).cache_control;
  return isObject(c) ? { cache_control: c } : {};
}

function imageSource(url: string): Json {
  if (/^https?:\/\//i.test(url)) return { type: 'url', url };
  const data = parseDataUrl(url);
  if (data) return { type: 'base64', ...data };
  throw new AppError('invalid_request', 'image_url must be an http(s) URL or a data: URL');
}

/** `data:<type>[;base64],<payload>` -> base64 payload (non-base64 payloads are percent-decoded and encoded). */
function parseDataUrl(url: string): { media_type: string; data: string } | null {
  const m = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s.exec(url);
  if (!m) return null;
  const mediaType = m[1] || 'text/plain';
  const isBase64 = m[2].split(';').includes('base64');
  let data: string;
  try {
    data = isBase64 ? m[3] : Buffer.from(decodeURIComponent(m[3]), 'utf8').toString('base64');
  } catch {
    return null;
  }
  return { media_type: mediaType, data };
}

function toolChoice(req: ChatRequest): Json | null {
  const c = req.tool_choice;
  let choice: Json | null;
  if (c === undefined) choice = req.parallel_tool_calls === false ? { type: 'auto' } : null;
  else if (c === 'none') return { type: 'none' };
  else if (c === 'auto') choice = { type: 'auto' };
  else if (c === 'required') choice = { type: 'any' };
  else choice = { type: 'tool', name: c.function.name };
  if (choice && req.parallel_tool_calls === false) choice.disable_parallel_tool_use = true;
  return choice;
}

function thinkingConfig(req: ChatRequest): Json | null {
  const r = resolveReasoning(req);
  if (!r.enabled) return null;
  let budget = r.maxTokens ?? Math.min(Math.floor(req.max_tokens * effortRatio(r.effort)), MAX_EFFORT_BUDGET);
  // budget_tokens must be >= 1024 and < max_tokens.
  budget = Math.min(Math.max(budget, MIN_THINKING_BUDGET), req.max_tokens - 1);
  if (budget < MIN_THINKING_BUDGET) return null;
  return { type: 'enabled', budget_tokens: budget };
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
