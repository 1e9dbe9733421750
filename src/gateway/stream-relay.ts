import type { ServerResponse } from 'node:http';
import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock/clock';
import { AppConfig } from '../common/config/app-config';
import { normaliseError, toEnvelope } from '../common/errors/error-envelope';
import { streamErrorStatus } from '../providers/error-status';
import type { ChunkDelta } from '../providers/types';
import { UpstreamClient } from '../providers/upstream-client';
import { trimRaw } from '../providers/usage';
import { RouterService } from '../routing/router.service';
import type { Exchange } from './exchange';
import { GatewayErrors } from './gateway.errors';
import { usageJson } from './json-response';
import { legacyLogprobs } from './legacy-logprobs';
import type { SseFrame, StreamShape } from './response-shape';
import { SseWriter } from './sse-writer';

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
    return JSON.stringify({ index: 0, text: d.delta.content ?? '', finish_reason: d.finishReason ?? null, logprobs: legacyLogprobs(d.logprobs) });
  }
  return JSON.stringify({ index: 0, delta: d.delta, finish_reason: d.finishReason ?? null, native_finish_reason: d.nativeFinishReason ?? null, logprobs: d.logprobs ?? null });
}

/**
 * Chat (or legacy text) chunks: a chunk per delta, then the usage chunk and [DONE]; or an error
 * chunk (finish_reason "error") with the usage billed, and [DONE].
 */
function chatStream(ex: Exchange, format: ChatFormat, clock: Clock): StreamShape {
  let prefix: (() => string) | null = null;
  return {
    deltas: (ds) => {
      prefix ??= chunkPrefix(ex, format, clock);
      return ds.map((d) => ({ data: prefix!() + choiceJson(format, d) + ']}' }));
    },
    complete: (bill) => {
      prefix ??= chunkPrefix(ex, format, clock);
      return [{ data: `${prefix()}],"usage":${JSON.stringify(usageJson(bill))}}` }, { data: '[DONE]' }];
    },
    failed: (error, bill) => {
      const r = ex.outcome.served?.attempt.resolved;
      const chunk = {
        id: ex.id,
        object: chunkObject(format),
        created: Math.floor(clock.nowMs() / 1000),
        model: r?.model.id ?? null,
        provider: r?.provider.name ?? null,
        error: toEnvelope(error).error,
        choices: [format === 'text' ? { index: 0, text: '', finish_reason: 'error' } : { index: 0, delta: { content: '' }, finish_reason: 'error', native_finish_reason: null }],
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
  const head = { id: ex.id, object: chunkObject(format), created: Math.floor(clock.nowMs() / 1000), model: r.model.id, provider: r.provider.name };
  const open = JSON.stringify(head).slice(0, -1);
  const translator = served.stream!.translator;
  return () => {
    const tier = translator.serviceTier?.();
    return `${open}${tier ? `,"service_tier":${JSON.stringify(tier)}` : ''},"choices":[`;
  };
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

  /** Relays the served stream chunk by chunk, then the usage chunk and [DONE]. */
  async relay(ex: Exchange, writer: SseWriter): Promise<void> {
    const { outcome } = ex;
    const served = outcome.served!;
    const stream = served.stream!;
    const { translator } = stream;
    const exclude = ex.init.chat?.excludeReasoning === true;
    // For a stream the overhead we can report in headers is what came before the upstream call.
    writer.start({ 'x-generation-id': ex.id, 'x-switchyard-overhead-ms': String(served.sentAt - ex.receivedAt) });
    const shape = this.shapeOf(ex);
    const relay = async (deltas: ChunkDelta[]) => {
      for (const d of deltas) {
        if (d.finishReason) {
          outcome.finishReason = d.finishReason;
          outcome.nativeFinishReason = d.nativeFinishReason ?? null;
        }
        const visible = exclude ? withoutReasoning(d) : d;
        if (!visible) continue;
        outcome.firstTokenAt ??= this.clock.nowMs();
        await this.write(writer, shape.deltas([visible]));
      }
    };
    // Checked between upstream reads: a silent upstream is bounded by UPSTREAM_IDLE_TIMEOUT_MS.
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
        await relay(await stream.next());
      }
    } catch (err) {
      const e = UpstreamClient.classify(err);
      if (ex.abort.signal.aborted || e.failure === 'aborted') {
        outcome.cancelled = true;
        stream.takeUsage(outcome);
        throw GatewayErrors.clientClosed();
      }
      void this.router.report(served.attempt, { failure: e.failure === 'timeout' ? 'timeout' : 'server_error' });
      throw GatewayErrors.streamCut(served.attempt.resolved.provider.name, e.message);
    } finally {
      stream.destroy();
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
      throw GatewayErrors.streamError(served.attempt.resolved.provider.name, streamErrorStatus(upstreamError.code), trimRaw(upstreamError.message), upstreamError.code);
    }
    if (!stream.complete(outcome.finishReason)) throw GatewayErrors.streamCut(served.attempt.resolved.provider.name, 'the provider ended the stream early');
    stream.takeUsage(outcome);
    await this.write(writer, shape.complete(ex.billed(true)));
    writer.end();
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
