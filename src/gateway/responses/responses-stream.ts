import type { NormalisedError } from '../../common/errors/error-envelope';
import type { ChunkDelta, FinishReason } from '../../providers/types';
import type { Bill } from '../bill';
import type { SseFrame, StreamShape } from '../response-shape';
import {
  itemId,
  OutputItem,
  OutputRefusal,
  OutputText,
  ResponseContext,
  responseJson,
  responsesUsage,
  statusOf,
} from './responses-response';

type ToolCallDelta = NonNullable<ChunkDelta['delta']['tool_calls']>[number];

/** The item being written: its place in the output and what it has so far. */
type Open =
  | { kind: 'reasoning'; index: number; id: string; text: string }
  | { kind: 'message'; index: number; id: string; parts: (OutputText | OutputRefusal)[] }
  | { kind: 'function_call'; index: number; id: string; tool: number; callId: string; name: string; args: string };

/** An OpenAI Responses error code for a failed stream (the API's codes are few: a rate limit, or the server's). */
const failureCode = (status: number) => (status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'server_error' : 'invalid_prompt');

/**
 * Writes chat deltas as the Responses API's stream: `response.created` and `response.in_progress`,
 * then each output item (reasoning summary, message text or refusal, function call) opened with
 * `output_item.added` (and `content_part.added` / `reasoning_summary_part.added`), its deltas, and
 * its `...done` events when the next item begins or the stream ends; then `response.completed`
 * (`response.incomplete` when cut by max_output_tokens or a filter) or `response.failed`, with the
 * usage billed. Every event carries the next `sequence_number`. Pure: fed by the relay.
 */
export class ResponsesStream implements StreamShape {
  private seq = 0;
  private started = false;
  private open: Open | null = null;
  private readonly output: OutputItem[] = [];
  /** Function calls by the chat tool call index, to add to the right item. */
  private readonly calls = new Map<number, Extract<Open, { kind: 'function_call' }>>();
  private finish: FinishReason | null = null;
  private ctx: ResponseContext | null = null;

  /** `context` is read when the stream starts and when it ends (the service tier may come late). */
  constructor(private readonly context: () => ResponseContext) {}

  deltas(ds: ChunkDelta[]): SseFrame[] {
    const frames = this.start();
    for (const d of ds) {
      if (d.finishReason) this.finish = d.finishReason;
      const { reasoning, content, refusal, tool_calls: calls } = d.delta;
      if (reasoning) frames.push(...this.reasoning(reasoning));
      if (content) frames.push(...this.text('output_text', content));
      if (refusal) frames.push(...this.text('refusal', refusal));
      for (const c of calls ?? []) frames.push(...this.toolCall(c));
    }
    return frames;
  }

  complete(bill: Bill): SseFrame[] {
    const { status, incomplete_details } = statusOf(this.finish);
    const frames = [...this.start(), ...this.close(status === 'incomplete' ? 'incomplete' : 'completed')];
    const ctx = this.refresh();
    const response = responseJson(ctx, {
      status,
      incomplete_details,
      output: this.output,
      usage: responsesUsage(bill),
      completedAt: ctx.now,
    });
    frames.push(this.event(status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response }));
    return frames;
  }

  failed(error: NormalisedError, bill: Bill): SseFrame[] {
    const frames = [...this.start(), ...this.close('incomplete')];
    const response = responseJson(this.refresh(), {
      status: 'failed',
      output: this.output,
      usage: responsesUsage(bill),
      error: { code: failureCode(error.status), message: error.message },
    });
    frames.push(this.event('response.failed', { response }));
    return frames;
  }

  private refresh(): ResponseContext {
    this.ctx = this.context();
    return this.ctx;
  }

  private start(): SseFrame[] {
    if (this.started) return [];
    this.started = true;
    const response = responseJson(this.refresh(), { status: 'in_progress', output: [], usage: null });
    return [this.event('response.created', { response }), this.event('response.in_progress', { response })];
  }

  private event(type: string, body: Record<string, unknown>): SseFrame {
    return { event: type, data: JSON.stringify({ type, sequence_number: this.seq++, ...body }) };
  }

  private get nextIndex(): number {
    return this.output.length + (this.open ? 1 : 0);
  }

  private reasoning(text: string): SseFrame[] {
    const frames: SseFrame[] = [];
    if (this.open?.kind !== 'reasoning') {
      frames.push(...this.close('completed'));
      const index = this.nextIndex;
      const open = { kind: 'reasoning' as const, index, id: itemId('rs', this.ctx!.id, index), text: '' };
      this.open = open;
      const at = { item_id: open.id, output_index: index };
      frames.push(
        this.event('response.output_item.added', {
          output_index: index,
          item: { id: open.id, type: 'reasoning', summary: [], status: 'in_progress' },
        }),
      );
      frames.push(
        this.event('response.reasoning_summary_part.added', { ...at, summary_index: 0, part: { type: 'summary_text', text: '' } }),
      );
    }
    const open = this.open as Extract<Open, { kind: 'reasoning' }>;
    open.text += text;
    frames.push(
      this.event('response.reasoning_summary_text.delta', { item_id: open.id, output_index: open.index, summary_index: 0, delta: text }),
    );
    return frames;
  }

  private text(type: 'output_text' | 'refusal', text: string): SseFrame[] {
    const frames: SseFrame[] = [];
    if (this.open?.kind !== 'message') {
      frames.push(...this.close('completed'));
      const index = this.nextIndex;
      this.open = { kind: 'message', index, id: itemId('msg', this.ctx!.id, index), parts: [] };
      frames.push(
        this.event('response.output_item.added', {
          output_index: index,
          item: { id: this.open.id, type: 'message', role: 'assistant', status: 'in_progress', content: [] },
        }),
      );
    }
    const open = this.open;
    let part = open.parts[open.parts.length - 1];
    if (part?.type !== type) {
      if (part) frames.push(...this.closePart(open, part));
      part = type === 'output_text' ? { type, text: '', annotations: [], logprobs: [] } : { type, refusal: '' };
      open.parts.push(part);
      frames.push(
        this.event('response.content_part.added', {
          item_id: open.id,
          output_index: open.index,
          content_index: open.parts.length - 1,
          part,
        }),
      );
    }
    const at = { item_id: open.id, output_index: open.index, content_index: open.parts.length - 1 };
    if (part.type === 'output_text') {
      part.text += text;
      frames.push(this.event('response.output_text.delta', { ...at, delta: text, logprobs: [] }));
    } else {
      part.refusal += text;
      frames.push(this.event('response.refusal.delta', { ...at, delta: text }));
    }
    return frames;
  }

  private toolCall(c: ToolCallDelta): SseFrame[] {
    const frames: SseFrame[] = [];
    let call = this.calls.get(c.index);
    if (!call) {
      frames.push(...this.close('completed'));
      const index = this.nextIndex;
      const id = itemId('fc', this.ctx!.id, index);
      call = { kind: 'function_call', index, id, tool: c.index, callId: c.id ?? `call_${id}`, name: c.function?.name ?? '', args: '' };
      this.calls.set(c.index, call);
      this.open = call;
      frames.push(this.event('response.output_item.added', { output_index: index, item: this.callItem(call, 'in_progress') }));
    } else if (c.function?.name && !call.name) {
      call.name = c.function.name;
    }
    const delta = c.function?.arguments;
    if (delta) {
      call.args += delta;
      frames.push(this.event('response.function_call_arguments.delta', { item_id: call.id, output_index: call.index, delta }));
    }
    return frames;
  }

  private callItem(call: Extract<Open, { kind: 'function_call' }>, status: 'in_progress' | 'completed' | 'incomplete'): OutputItem {
    return {
      id: call.id,
      type: 'function_call',
      status,
      call_id: call.callId,
      name: call.name,
      arguments: status === 'in_progress' ? '' : call.args,
    };
  }

  private closePart(open: Extract<Open, { kind: 'message' }>, part: OutputText | OutputRefusal): SseFrame[] {
    const at = { item_id: open.id, output_index: open.index, content_index: open.parts.indexOf(part) };
    const done =
      part.type === 'output_text'
        ? this.event('response.output_text.done', { ...at, text: part.text, logprobs: [] })
        : this.event('response.refusal.done', { ...at, refusal: part.refusal });
    return [done, this.event('response.content_part.done', { ...at, part })];
  }

  /** Ends the open item: its `...done` events, and it joins the output. */
  private close(status: 'completed' | 'incomplete'): SseFrame[] {
    const open = this.open;
    if (!open) return [];
    this.open = null;
    const frames: SseFrame[] = [];
    let item: OutputItem;
    if (open.kind === 'reasoning') {
      const part = { type: 'summary_text' as const, text: open.text };
      const at = { item_id: open.id, output_index: open.index, summary_index: 0 };
      frames.push(this.event('response.reasoning_summary_text.done', { ...at, text: open.text }));
      frames.push(this.event('response.reasoning_summary_part.done', { ...at, part }));
      item = { id: open.id, type: 'reasoning', summary: [part], status };
    } else if (open.kind === 'message') {
      const last = open.parts[open.parts.length - 1];
      if (last) frames.push(...this.closePart(open, last));
      item = { id: open.id, type: 'message', role: 'assistant', status, content: open.parts };
    } else {
      frames.push(
        this.event('response.function_call_arguments.done', {
          item_id: open.id,
          output_index: open.index,
          name: open.name,
          arguments: open.args,
        }),
      );
      item = this.callItem(open, status);
    }
    this.output.push(item);
    frames.push(this.event('response.output_item.done', { output_index: open.index, item }));
    return frames;
  }
}
