import { TextDecoder } from 'node:util';
import { streamErrorStatus } from '../providers/error-status';
import { SseParser } from '../providers/sse-parser';
import { AdapterError, type ChunkDelta, type SseEvent, type StreamTranslator, type Usage } from '../providers/types';
import { UpstreamClient, UpstreamResponse } from '../providers/upstream-client';
import { GatewayErrors } from './gateway.errors';
import { estimateOutputTokens } from './prompt-estimate';

/** Malformed events a stream may carry before it counts as corrupted rather than noisy. */
export const MAX_MALFORMED_EVENTS = 8;

const carriesOutput = (d: ChunkDelta) => Boolean(d.delta.content || d.delta.reasoning || d.delta.tool_calls);

/**
 * Whether a delta carries output the client will see, as opposed to only a role, a finish reason or
 * logprobs; reasoning the client asked to exclude is not output it sees.
 */
export const hasVisibleOutput = (d: ChunkDelta, excludeReasoning: boolean) =>
  Boolean(d.delta.content || (!excludeReasoning && d.delta.reasoning) || d.delta.tool_calls || d.delta.refusal);

/** The output an endpoint produced, counted as it is read: what an estimate bills when the provider reports no usage. */
export class OutputTally {
  chars = 0;
  /** Deltas with output, excluded reasoning included (the provider produced it and bills it). */
  deltas = 0;

  /** Counts a delta's output; true when it is the first delta carrying any. */
  add(d: ChunkDelta): boolean {
    if (d.delta.content) this.chars += d.delta.content.length;
    if (d.delta.reasoning) this.chars += d.delta.reasoning.length;
    if (d.delta.tool_calls)
      for (const t of d.delta.tool_calls) this.chars += (t.function?.arguments?.length ?? 0) + (t.function?.name?.length ?? 0);
    if (!carriesOutput(d)) return false;
    this.deltas++;
    return this.deltas === 1;
  }

  /** The output tokens this much output comes to (estimated). */
  get tokens(): number {
    return estimateOutputTokens(this.chars, this.deltas);
  }
}

/** A stream silent for longer than its reader allows between chunks. */
export class StreamStalled extends Error {
  constructor(readonly idleMs: number) {
    super(`no data for ${Math.round(idleMs / 1000)} s`);
    this.name = 'StreamStalled';
  }
}

/** A stream that carried more malformed events than a glitch explains. */
export class StreamCorrupted extends Error {
  constructor(readonly events: number) {
    super(`${events} malformed events`);
    this.name = 'StreamCorrupted';
  }
}

/** Why a stream failed before its first output. */
export interface StreamFailure {
  status: number | null;
  message: string;
  timeout?: boolean;
}

/**
 * Reads one upstream SSE stream as deltas, counting their output into its own tally and telling
 * `onOutput` after each delta (the tally's tokens, and whether this was the first output).
 */
export class UpstreamStream {
  readonly tally = new OutputTally();
  readonly translator: StreamTranslator;
  /** Deltas read before the first output (role-only ones) and the one carrying it, not relayed yet. */
  pending: ChunkDelta[] = [];
  ended = false;
  /** Events skipped as malformed (not JSON, not the shape the adapter reads), and the last one. */
  malformed = 0;
  lastMalformed: string | null = null;
  /** The stream fell silent for longer than next() allowed, and was ended for it. */
  stalled = false;
  private readonly chunks: AsyncIterator<Buffer>;
  private readonly parser = new SseParser();
  private readonly decoder = new TextDecoder();

  constructor(
    private readonly body: UpstreamResponse['body'],
    translator: StreamTranslator,
    private readonly onOutput: (tally: OutputTally, first: boolean) => void,
  ) {
    this.translator = translator;
    this.chunks = body[Symbol.asyncIterator]();
  }

  /**
   * The deltas of the next piece of the stream (of what the parser held, at its end), counted.
   * With `idleMs`, a stream silent for longer is ended (`stalled`) and the read fails. A malformed
   * event is skipped and counted; more than MAX_MALFORMED_EVENTS fail the read (StreamCorrupted).
   */
  async next(idleMs?: number): Promise<ChunkDelta[]> {
    const timer = idleMs
      ? setTimeout(() => {
          this.stalled = true;
          this.body.destroy(new StreamStalled(idleMs));
        }, idleMs)
      : undefined;
    let next: IteratorResult<Buffer>;
    try {
      next = await this.chunks.next();
    } finally {
      clearTimeout(timer);
    }
    this.ended = next.done === true;
    const events = next.done ? this.parser.end() : this.parser.push(this.decoder.decode(next.value, { stream: true }));
    const deltas = events.flatMap((ev) => this.translate(ev));
    for (const d of deltas) this.onOutput(this.tally, this.tally.add(d));
    return deltas;
  }

  /** One event's deltas; none for a malformed one, which one bad event in a long answer should not end. */
  private translate(ev: SseEvent): ChunkDelta[] {
    try {
      return this.translator.push(ev);
    } catch (err) {
      if (!(err instanceof AdapterError)) throw err;
      this.malformed++;
      this.lastMalformed = ev.data.slice(0, 200);
      if (this.malformed > MAX_MALFORMED_EVENTS) throw new StreamCorrupted(this.malformed);
      return [];
    }
  }

  /**
   * Reads up to the first output (content, reasoning, a tool call) or the normal end, keeping what
   * it read in `pending`: a failure before that is one the client never saw, so the next endpoint
   * may still serve. Excluded reasoning is not output the client sees, so a failure after it still
   * falls back. Null when the stream opened; the failure otherwise (the body destroyed). Throws
   * the client-closed error when the call was aborted.
   */
  async open(excludeReasoning: boolean, signal: AbortSignal): Promise<StreamFailure | null> {
    let failure: StreamFailure;
    try {
      for (;;) {
        const fresh = await this.next();
        this.pending.push(...fresh);
        // The error first: an error before the first output fails unseen, even when [DONE] came after it in the same read.
        const upstreamError = this.translator.error();
        if (upstreamError) {
          failure = { status: streamErrorStatus(upstreamError.code), message: upstreamError.message };
          break;
        }
        // Only this read's deltas: the earlier ones were looked at when they came (long excluded reasoning is many reads).
        if (fresh.some((d) => hasVisibleOutput(d, excludeReasoning)) || this.translator.done()) return null;
        if (this.ended) {
          failure = { status: null, message: 'the provider ended the stream before any output' };
          break;
        }
      }
    } catch (err) {
      const e = UpstreamClient.classify(err);
      if (signal.aborted || e.failure === 'aborted') {
        this.destroy();
        throw GatewayErrors.clientClosed();
      }
      failure = { status: null, message: e.message, timeout: e.failure === 'timeout' };
    }
    this.destroy();
    return failure;
  }

  /** The stream ended normally: [DONE] (or its like), or a clean end after a finish reason or its final usage. */
  complete(finishReason: unknown): boolean {
    // Several providers close without the [DONE] sentinel after the finish reason or the usage, and every SDK accepts that.
    return this.translator.done() || (this.ended && (finishReason !== null || (this.translator.usage() !== null && this.usageFinal())));
  }

  /** The usage the upstream reported, for the bill, and whether it is final (see StreamTranslator.usageFinal). */
  takeUsage(outcome: { usage: Usage | null; usageFinal: boolean }): void {
    outcome.usage = this.translator.usage();
    outcome.usageFinal = this.usageFinal();
  }

  private usageFinal(): boolean {
    return this.translator.usageFinal?.() !== false;
  }

  destroy(): void {
    this.body.destroy();
  }
}
