/**
 * The pipeline's chat result and stream -> Anthropic Messages answers (pure): the message JSON and
 * the streaming events (message_start, content_block_start / _delta / _stop, message_delta with
 * the stop reason and usage, message_stop; `error` once the stream has started).
 */
import { anthropicErrorType } from '../../common/errors/anthropic-envelope';
import type { AssistantMessage, ChatResult, ChunkDelta, FinishReason, ReasoningDetail, Usage } from '../../providers/types';
import type { SseFrame } from '../response-shape';
import type { ContentBlock, MessageJson, MessagesUsage, StopReason } from './messages.types';

/** What every answer carries: our generation id, the model and provider that served. */
export interface MessageHead {
  id: string;
  model: string;
  provider: string;
}

const STOP_REASONS = new Set<string>(['end_turn', 'max_tokens', 'stop_sequence', 'tool_use', 'pause_turn', 'refusal']);

/** Anthropic's own stop reason when the upstream is Anthropic; else the one the finish reason stands for. */
export function stopReason(finish: FinishReason | null, native: string | null): StopReason {
  if (native && STOP_REASONS.has(native)) return native as StopReason;
  switch (finish) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}

/** Chat usage -> Anthropic's, whose input_tokens leaves out cache reads and writes; with the cost in USD when known. */
export function messagesUsage(usage: Usage | null, cost?: number): MessagesUsage {
  const cached = usage?.prompt_tokens_details?.cached_tokens ?? 0;
  const written = usage?.prompt_tokens_details?.cache_write_tokens ?? 0;
  return {
    input_tokens: Math.max(0, (usage?.prompt_tokens ?? 0) - cached - written),
    output_tokens: usage?.completion_tokens ?? 0,
    cache_creation_input_tokens: written,
    cache_read_input_tokens: cached,
    ...(cost !== undefined ? { cost } : {}),
  };
}

/** Tool arguments (a JSON string) -> Anthropic's input object; what is no object is kept verbatim under `_raw_arguments`. */
export function toolInput(args: string | undefined): Record<string, unknown> {
  if (!args || !args.trim()) return {};
  try {
    const parsed: unknown = JSON.parse(args);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // Falls through: the model's output is kept rather than lost.
  }
  return { _raw_arguments: args };
}

/** Thinking blocks for the reasoning: one per signed or redacted detail, else one unsigned block. */
function thinkingBlocks(reasoning: string | null | undefined, details: ReasoningDetail[] | undefined): ContentBlock[] {
  const blocks: ContentBlock[] = [];
  let signedText = '';
  for (const d of details ?? []) {
    if (d.type === 'reasoning.text' && d.signature) {
      blocks.push({ type: 'thinking', thinking: d.text ?? '', signature: d.signature });
      signedText += d.text ?? '';
    } else if (d.type === 'reasoning.encrypted') blocks.push({ type: 'redacted_thinking', data: d.data });
  }
  // Reasoning no signature covers (any provider but Anthropic) has an empty one.
  if (reasoning && reasoning !== signedText) {
    const rest = reasoning.startsWith(signedText) ? reasoning.slice(signedText.length) : reasoning;
    blocks.unshift({ type: 'thinking', thinking: rest, signature: '' });
  }
  return blocks;
}

export function messageContent(message: AssistantMessage, excludeReasoning: boolean): ContentBlock[] {
  const blocks: ContentBlock[] = excludeReasoning ? [] : thinkingBlocks(message.reasoning, message.reasoning_details);
  const text = message.content ?? message.refusal ?? '';
  if (text) blocks.push({ type: 'text', text, citations: null });
  for (const call of message.tool_calls ?? []) {
    blocks.push({ type: 'tool_use', id: call.id, name: call.function.name, input: toolInput(call.function.arguments) });
  }
  return blocks;
}

export function messageJson(head: MessageHead, result: ChatResult, usage: MessagesUsage, excludeReasoning: boolean): MessageJson {
  return {
    id: head.id,
    type: 'message',
    role: 'assistant',
    model: head.model,
    provider: head.provider,
    content: messageContent(result.message, excludeReasoning),
    stop_reason: stopReason(result.finishReason, result.nativeFinishReason),
    stop_sequence: null,
    usage,
  };
}

type OpenBlock = { kind: 'thinking' } | { kind: 'text' } | { kind: 'tool'; call: number };

const frame = (data: Record<string, unknown> & { type: string }): SseFrame => ({ event: data.type, data: JSON.stringify(data) });

/**
 * The streaming events of one answer, from the deltas the upstream stream is read as. Blocks open
 * as their kind of output starts and close when another starts. Tool calls are taken to stream one
 * after the other, as upstreams send them: a call's block closes when the next call starts.
 */
export class MessagesStreamEncoder {
  private started = false;
  private index = -1;
  private open: OpenBlock | null = null;
  private finish: FinishReason | null = null;
  private native: string | null = null;

  constructor(private readonly head: MessageHead) {}

  /** message_start (and a ping, as Anthropic sends one), once. */
  start(): SseFrame[] {
    if (this.started) return [];
    this.started = true;
    const message = {
      id: this.head.id,
      type: 'message',
      role: 'assistant',
      model: this.head.model,
      provider: this.head.provider,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: messagesUsage(null),
    };
    return [frame({ type: 'message_start', message }), frame({ type: 'ping' })];
  }

  deltas(ds: ChunkDelta[]): SseFrame[] {
    const out = this.start();
    for (const d of ds) {
      if (d.finishReason) {
        this.finish = d.finishReason;
        this.native = d.nativeFinishReason ?? null;
      }
      const { reasoning, reasoning_details: details, content, refusal, tool_calls: calls } = d.delta;
      if (reasoning) {
        this.ensure(out, { kind: 'thinking' });
        out.push(this.delta({ type: 'thinking_delta', thinking: reasoning }));
      }
      for (const detail of details ?? []) {
        if (detail.type === 'reasoning.text' && detail.signature) {
          this.ensure(out, { kind: 'thinking' });
          out.push(this.delta({ type: 'signature_delta', signature: detail.signature }));
        } else if (detail.type === 'reasoning.encrypted') {
          this.close(out);
          this.index++;
          out.push(
            frame({ type: 'content_block_start', index: this.index, content_block: { type: 'redacted_thinking', data: detail.data } }),
          );
          out.push(frame({ type: 'content_block_stop', index: this.index }));
        }
      }
      const text = content || refusal;
      if (text) {
        this.ensure(out, { kind: 'text' });
        out.push(this.delta({ type: 'text_delta', text }));
      }
      for (const c of calls ?? []) {
        const open = this.open;
        if (c.id !== undefined || !(open?.kind === 'tool' && open.call === c.index)) {
          if (c.id === undefined) continue;
          this.close(out);
          this.index++;
          this.open = { kind: 'tool', call: c.index };
          out.push(
            frame({
              type: 'content_block_start',
              index: this.index,
              content_block: { type: 'tool_use', id: c.id, name: c.function?.name ?? '', input: {} },
            }),
          );
        }
        if (c.function?.arguments) out.push(this.delta({ type: 'input_json_delta', partial_json: c.function.arguments }));
      }
    }
    return out;
  }

  /** The last block's stop, message_delta (stop reason and the billed usage), message_stop. */
  end(usage: MessagesUsage): SseFrame[] {
    const out = this.start();
    this.close(out);
    out.push(frame({ type: 'message_delta', delta: { stop_reason: stopReason(this.finish, this.native), stop_sequence: null }, usage }));
    out.push(frame({ type: 'message_stop' }));
    return out;
  }

  /** An `error` event: Anthropic ends a failed stream with it, and its SDKs raise it as an APIError. */
  error(e: { status: number; message: string }): SseFrame[] {
    return [frame({ type: 'error', error: { type: anthropicErrorType(e.status), message: e.message } })];
  }

  private delta(delta: Record<string, unknown>): SseFrame {
    return frame({ type: 'content_block_delta', index: this.index, delta });
  }

  /** Opens a block of this kind unless one is open. */
  private ensure(out: SseFrame[], block: { kind: 'thinking' } | { kind: 'text' }): void {
    if (this.open?.kind === block.kind) return;
    this.close(out);
    this.index++;
    this.open = block;
    const content = block.kind === 'text' ? { type: 'text', text: '', citations: null } : { type: 'thinking', thinking: '', signature: '' };
    out.push(frame({ type: 'content_block_start', index: this.index, content_block: content }));
  }

  private close(out: SseFrame[]): void {
    if (!this.open) return;
    out.push(frame({ type: 'content_block_stop', index: this.index }));
    this.open = null;
  }
}
