import type { ServerResponse } from 'node:http';
import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock/clock';
import { AppConfig } from '../common/config/app-config';
import { AppError } from '../common/errors/app-error';
import { normaliseError, toEnvelope } from '../common/errors/error-envelope';
import { streamErrorStatus } from '../providers/error-status';
import type { ChunkDelta } from '../providers/types';
import { UpstreamClient } from '../providers/upstream-client';
import { trimRaw } from '../providers/usage';
import { RouterService } from '../routing/router.service';
import type { Exchange, Served } from './exchange';
import { GatewayErrors } from './gateway.errors';
import { usageJson } from './json-response';
import { legacyLogprobs } from './legacy-logprobs';
import type { SseFrame, StreamShape } from './response-shape';
import { SseWriter } from './sse-writer';
import { AnswerSoFar, Seam, StreamContinuation } from './stream-continuation';
import { StreamCorrupted } from './upstream-stream';

const PROCESSING_EVERY_MS = 2000;

/** A delta without its reasoning (reasoning.exclude); null when nothing is left to send. */
function withoutReasoning(d: ChunkDelta): ChunkDelta | null {
  if (d.delta.reasoning === undefined && d.delta.reasoning_details === undefined) return d;
  const { reasoning: _r, reasoning_details: _rd, ...delta } = d.delta;
  return Object.keys(delta).length || d.finishReason || d.logprobs ? { ...d, delta } : null;
}

type ChatFormat = 'chat' | 'text';

const chunkObject = (format: ChatFormat) => (format === 'text' ? 'text_completion' : 'chat.completion.chunk');

function choiceJson(format: ChatFormat, d: ChunkDelta): string {
  if (format === 'text') {
    return JSON.stringify({
      index: 0,
      text: d.delta.content ?? '',
      finish_reason: d.finishReason ?? null,
      logprobs: legacyLogprobs(d.logprobs),
    });
  }
  return JSON.stringify({
    index: 0,
    delta: d.delta,
    finish_reason: d.finishReason ?? null,
    native_finish_reason: d.nativeFinishReason ?? null,
    logprobs: d.logprobs ?? null,
  });
}

/**
 * Chat (or legacy text) chunks: a chunk per delta, then the usage chunk and [DONE]; or an error
 * chunk (finish_reason "error") with the usage billed, and [DONE].
 */
function chatStream(ex: Exchange, format: ChatFormat, clock: Clock): StreamShape {
  // Made again when a continuation takes over: its chunks name the endpoint that wrote them.
  let prefix: { of: Served; json: () => string } | null = null;
  const prefixed = () => {
    const served = ex.outcome.served!;
    if (prefix?.of !== served) prefix = { of: served, json: chunkPrefix(ex, format, clock) };
    return prefix.json;
  };
  return {
    deltas: (ds) => {
      const json = prefixed();
      return ds.map((d) => ({ data: json() + choiceJson(format, d) + ']}' }));
    },
    complete: (bill) => [{ data: `${prefixed()()}],"usage":${JSON.stringify(usageJson(bill))}}` }, { data: '[DONE]' }],
    failed: (error, bill) => {
      const r = ex.outcome.served?.attempt.resolved;
      const chunk = {
        id: ex.id,
        object: chunkObject(format),
        created: Math.floor(clock.nowMs() / 1000),
        model: r?.model.id ?? null,
        provider: r?.provider.name ?? null,
        error: toEnvelope(error).error,
        choices: [
          format === 'text'
            ? { index: 0, text: '', finish_reason: 'error' }
            : { index: 0, delta: { content: '' }, finish_reason: 'error', native_finish_reason: null },
        ],
        usage: usageJson(bill),
      };
      return [{ data: JSON.stringify(chunk) }, { data: '[DONE]' }];
    },
  };
}

/** A chunk's JSON up to its choices; the upstream's service_tier as it last reported it (it may come with any chunk). */
function chunkPrefix(ex: Exchange, format: ChatFormat, clock: Clock): () => string {
  const served = ex.outcome.served!;
  const r = served.attempt.resolved;
  const head = {
    id: ex.id,
    object: chunkObject(format),
    created: Math.floor(clock.nowMs() / 1000),
    model: r.model.id,
    provider: r.provider.name,
  };
  const open = JSON.stringify(head).slice(0, -1);
  const translator = served.stream!.translator;
  return () => {
    const tier = translator.serviceTier?.();
    return `${open}${tier ? `,"service_tier":${JSON.stringify(tier)}` : ''},"choices":[`;
  };
}

/** One endpoint's part of a stream: its answer, what the client has so far, where a continuation joins it. */
interface Segment {
  served: Served;
  answer: AnswerSoFar;
  seam: Seam | null;
}

/** How a segment failed after its output reached the client. */
interface SegmentFailure {
  error: AppError;
  /** The provider failed (not the request): a continuation may take over. */
  continuable: boolean;
  /** What the attempt record says, when the error shown to the client masks it. */
  detail?: string;
}

/**
 * Writes a streamed answer as SSE: `: PROCESSING` comments while the upstreams are tried, then the
 * upstream's deltas in the request's shape (chat chunks, or another API's events), and the end the
 * shape gives a complete stream (the exchange's bill) or, once the stream started, a failed one:
 * never silently.
 */
@Injectable()
export class StreamRelay {
  constructor(
    private readonly router: RouterService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly continuation: StreamContinuation,
  ) {}

  /** Each stream's shape, made once: it may keep state between the relay and its failure. */
  private readonly shapes = new WeakMap<Exchange, StreamShape>();

  private shapeOf(ex: Exchange): StreamShape {
    let shape = this.shapes.get(ex);
    if (!shape) {
      const { format } = ex.init;
      shape = typeof format === 'object' ? format.stream(ex) : chatStream(ex, format, this.clock);
      this.shapes.set(ex, shape);
    }
    return shape;
  }

  private async write(writer: SseWriter, frames: SseFrame[]): Promise<void> {
    for (const f of frames) await writer.frame(f);
  }

  /** The response's writer; the HTTP layer lets go of the response (the relay writes it). */
  open(ex: Exchange, raw: ServerResponse): SseWriter {
    const headers = { 'x-request-id': ex.init.meta.requestId, ...(ex.timing ? { 'server-timing': ex.timing.header() } : {}) };
    return new SseWriter(raw, headers, this.config.upstream.writeStallMs);
  }

  /** Starts the stream with `: PROCESSING` comments if the upstreams are slow to produce output; the stop function. */
  keepAlive(ex: Exchange, writer: SseWriter): () => void {
    let timer: NodeJS.Timeout | undefined;
    const beat = () => {
      if (writer.closed) return;
      writer.start({ 'x-generation-id': ex.id, 'x-switchyard-overhead-ms': String(this.clock.nowMs() - ex.receivedAt) });
      void writer.comment('PROCESSING');
      timer = setTimeout(beat, PROCESSING_EVERY_MS);
    };
    timer = setTimeout(beat, this.config.upstream.processingAfterMs);
    return () => clearTimeout(timer);
  }

  /**
   * Relays the served stream delta by delta in the request's shape, then the shape's end. A stream that fails
   * after its output reached the client continues on a fallback where StreamContinuation can, in
   * the same client stream; otherwise its error ends the stream (the caller's `fail`).
   */
  async relay(ex: Exchange, writer: SseWriter): Promise<void> {
    let served = ex.outcome.served!;
    // For a stream the overhead we can report in headers is what came before the upstream call.
    writer.start({ 'x-generation-id': ex.id, 'x-switchyard-overhead-ms': String(served.sentAt - ex.receivedAt) });
    const answer = new AnswerSoFar();
    let seam: Seam | null = null;
    for (;;) {
      const record = ex.attempts[ex.attempts.length - 1];
      const failure = await this.relaySegment(ex, writer, { served, answer, seam });
      if (!failure) break;
      if (record) record.error = failure.detail ?? failure.error.message;
      if (!failure.continuable) throw failure.error;
      // The client waits while a fallback is called: `: PROCESSING` comments keep its connection alive, as before the first output.
      const stopKeepAlive = this.keepAlive(ex, writer);
      const next = await this.continuation.continue(ex, { from: served, record, answer }, failure.error).finally(stopKeepAlive);
      if (!next) throw failure.error;
      ({ served, seam } = next);
    }
    served.stream!.takeUsage(ex.outcome);
    await this.write(writer, this.shapeOf(ex).complete(ex.billed(true)));
    writer.end();
  }

  /**
   * Relays one endpoint's stream to its end; null when it ended normally, its failure (and whether
   * a continuation may take over) when it failed after its output reached the client.
   */
  private async relaySegment(ex: Exchange, writer: SseWriter, segment: Segment): Promise<SegmentFailure | null> {
    const { outcome } = ex;
    const { served, answer, seam } = segment;
    const stream = served.stream!;
    const { translator } = stream;
    const provider = served.attempt.resolved.provider.name;
    const exclude = ex.init.chat?.excludeReasoning === true;
    const shape = this.shapeOf(ex);
    const relay = async (deltas: ChunkDelta[]) => {
      for (const d of deltas) {
        if (d.finishReason) {
          outcome.finishReason = d.finishReason;
          outcome.nativeFinishReason = d.nativeFinishReason ?? null;
        }
        let visible = exclude ? withoutReasoning(d) : d;
        if (visible && seam) visible = seam.pass(visible);
        if (!visible) continue;
        answer.add(visible);
        outcome.firstTokenAt ??= this.clock.nowMs();
        await this.write(writer, shape.deltas([visible]));
      }
    };
    // Checked between upstream reads: a silent upstream is bounded by STREAM_IDLE_TIMEOUT_MS.
    const deadline = ex.receivedAt + this.config.upstream.maxStreamMs;
    let overtime = false;
    try {
      await relay(stream.pending);
      // A closed writer drops what it is given: after the client left, the rest is read for its usage only.
      while (!stream.ended && !translator.error() && !translator.done()) {
        if (this.clock.nowMs() >= deadline) {
          overtime = true;
          break;
        }
        // The idle limit is for a provider gone quiet, not for a client that left (the drain has its own).
        await relay(await stream.next(outcome.clientLeft ? undefined : this.config.upstream.streamIdleMs));
      }
    } catch (err) {
      const e = UpstreamClient.classify(err);
      if (ex.abort.signal.aborted || e.failure === 'aborted') {
        outcome.cancelled = true;
        stream.takeUsage(outcome);
        throw GatewayErrors.clientClosed();
      }
      void this.router.report(served.attempt, { failure: e.failure === 'timeout' || stream.stalled ? 'timeout' : 'server_error' });
      if (stream.stalled) return { error: GatewayErrors.streamStalled(provider, this.config.upstream.streamIdleMs), continuable: true };
      if (err instanceof StreamCorrupted) return { error: GatewayErrors.streamCorrupted(provider, err.message), continuable: true };
      // Mid-stream, a transport error is the connection breaking, whatever its code says about reaching the provider.
      const code = /\(([A-Z_]+)\)/.exec(e.message)?.[1];
      return { error: GatewayErrors.streamCut(provider, `the connection broke${code ? `: ${code}` : ''}`), continuable: true };
    } finally {
      stream.destroy();
      this.continuation.noteMalformed(ex, served);
    }
    if (writer.closed) {
      outcome.cancelled = true;
      stream.takeUsage(outcome);
      throw GatewayErrors.clientClosed();
    }
    // Ends with an error chunk; what was relayed is billed as for a cut stream.
    if (overtime) throw GatewayErrors.streamTooLong(this.config.upstream.maxStreamMs);
    const upstreamError = translator.error();
    if (upstreamError) {
      const status = streamErrorStatus(upstreamError.code);
      // A server error or rate limit inside the stream is the provider failing, as a cut is; a 4xx is about the request.
      const message = trimRaw(upstreamError.message);
      const error = GatewayErrors.streamError(provider, status, message, upstreamError.code);
      return {
        error,
        continuable: status === 429 || status >= 500,
        detail: `The provider's stream failed with an error event (${status}): ${message}`,
      };
    }
    // Ended without a finish reason or usage: never a truncated answer presented as complete.
    if (!stream.complete(outcome.finishReason))
      return { error: GatewayErrors.streamCut(provider, 'the provider ended the stream before the answer did'), continuable: true };
    return null;
  }

  /**
   * The exchange failed: before anything reached the client, a plain HTTP error; after the stream
   * started, an error chunk with the usage billed, and [DONE].
   */
  async fail(ex: Exchange, writer: SseWriter, raw: ServerResponse): Promise<void> {
    const e = ex.outcome.error!;
    if (!writer.headersSent && !writer.closed) {
      const { format } = ex.init;
      const error = normaliseError(e);
      const body = typeof format === 'object' && format.errorBody ? format.errorBody(error) : toEnvelope(error);
      raw.writeHead(e.status, { 'content-type': 'application/json; charset=utf-8', 'x-request-id': ex.init.meta.requestId, ...e.headers });
      raw.end(JSON.stringify(body));
      return;
    }
    if (writer.closed) return;
    ex.outcome.finishReason = 'error';
    await this.write(writer, this.shapeOf(ex).failed(normaliseError(e), ex.billed(true)));
    writer.end();
  }
}
