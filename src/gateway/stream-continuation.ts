import { Injectable } from '@nestjs/common';
import { affordableTokens } from '../catalog/pricing';
import { AppConfig } from '../common/config/app-config';
import { AppError } from '../common/errors/app-error';
import { AppLogger } from '../common/logging/app-logger';
import { MetricsService } from '../common/metrics/metrics.service';
import { resolveReasoning } from '../providers/reasoning';
import type { ChatMessage, ChatRequest, ChunkDelta } from '../providers/types';
import { RouterService } from '../routing/router.service';
import type { AttemptRecord } from '../usage/entities/generation.entity';
import type { Exchange, Served } from './exchange';
import { forEndpoint } from './request-params';
import { UpstreamCaller } from './upstream-caller';
import { UpstreamStream } from './upstream-stream';

/**
 * What the client of a stream has been sent so far, across the endpoints that served it: the
 * answer's text (a continuation's prefill) and whether anything was sent that a prefill cannot carry.
 */
export class AnswerSoFar {
  content = '';
  /** Tool calls, reasoning or a refusal went out: no prefill continues those soundly. */
  unprefillable = false;

  add(d: ChunkDelta): void {
    if (d.delta.content) this.content += d.delta.content;
    if (d.delta.tool_calls || d.delta.reasoning || d.delta.refusal) this.unprefillable = true;
  }
}

/**
 * Where a continuation joins the answer. The prefill leaves out the answer's trailing whitespace
 * (Anthropic refuses a prefill ending in it, and a model continues a trimmed one by producing it
 * again), so the continuation's output starts with the part of it the client already has: that
 * part is dropped, and so is the role the client was sent at the start.
 */
export class Seam {
  constructor(private overlap: string) {}

  pass(d: ChunkDelta): ChunkDelta | null {
    const { role: _role, ...delta } = d.delta;
    if (this.overlap && delta.content) {
      let i = 0;
      while (i < this.overlap.length && i < delta.content.length && this.overlap[i] === delta.content[i]) i++;
      // A delta wholly inside the overlap may be followed by the rest of it; any other ends it.
      this.overlap = i === delta.content.length ? this.overlap.slice(i) : '';
      if (i === delta.content.length) delete delta.content;
      else delta.content = delta.content.slice(i);
    } else if (delta.tool_calls || delta.reasoning || delta.refusal) {
      this.overlap = '';
    }
    return Object.keys(delta).length || d.finishReason || d.logprobs ? { ...d, delta } : null;
  }
}

/**
 * The request's messages with the answer so far as a trailing assistant message, marked
 * `prefix: true` (Mistral's and DeepSeek's way; the Anthropic adapter sends a trailing assistant
 * turn as its prefill and drops the mark). A client's own trailing assistant message (its prefill)
 * is extended rather than followed by a second one.
 */
export function withPrefill(messages: ChatMessage[], text: string): ChatMessage[] {
  const last = messages[messages.length - 1];
  if (last?.role === 'assistant' && typeof last.content === 'string' && !last.tool_calls?.length) {
    return [...messages.slice(0, -1), { ...last, content: last.content + text, prefix: true }];
  }
  return [...messages, { role: 'assistant', content: text, prefix: true }];
}

/** The prefill's prompt tokens, estimated high as the prompt is (a token per 3 bytes). */
const prefillTokens = (text: string) => Math.ceil(Buffer.byteLength(text) / 3) + 1;

/** A continuation that answers: its endpoint's stream, opened up to its first output, and its seam. */
export interface Continued {
  served: Served;
  seam: Seam;
}

/** The stream being continued: the endpoint it failed on, that endpoint's attempt record, what the client has. */
export interface CutStream {
  from: Served;
  record: AttemptRecord | undefined;
  answer: AnswerSoFar;
}

/**
 * Continues a stream that failed after its output reached the client (cut, stalled, corrupted, a
 * server error in the stream): the next planned endpoint marked `prefill: true` gets the same
 * request with the answer so far as an assistant prefill, and its continuation is relayed into the
 * same client stream. Only where that is sound: not for reasoning or tool-call streams, not after
 * the client left, not when the request (provider.allow_continuation) or STREAM_CONTINUATION says
 * no, and not beyond what the request's hold still covers. Each segment is billed for what its
 * endpoint produced (Exchange.nextSegment).
 */
@Injectable()
export class StreamContinuation {
  private readonly log: AppLogger;

  constructor(
    private readonly caller: UpstreamCaller,
    private readonly router: RouterService,
    private readonly config: AppConfig,
    private readonly metrics: MetricsService,
    logger: AppLogger,
  ) {
    this.log = logger.child({ component: 'gateway' });
  }

  /** The continuation that took over, or null when none may or none answered (the stream ends with its error). */
  async continue(ex: Exchange, cut: CutStream, failure: AppError): Promise<Continued | null> {
    if (!this.allowed(ex, cut.answer)) {
      this.metrics.streamContinuations.inc({ result: 'none' });
      return null;
    }
    const chat = ex.init.chat!;
    const prefill = cut.answer.content.trimEnd();
    const overlap = cut.answer.content.slice(prefill.length);
    const closing = ex.segmentBill(true);
    const segments = [...ex.segments, closing];
    const produced = segments.reduce((n, b) => n + (b.usage?.completion_tokens ?? 0), 0);
    const spent = segments.reduce((sum, b) => sum + b.cost, 0n);
    const promptTokens = ex.init.prompt.tokens + (prefill ? prefillTokens(prefill) : 0);
    const messages = prefill ? withPrefill(chat.request.messages as ChatMessage[], prefill) : chat.request.messages;
    const tier = typeof chat.request.service_tier === 'string' ? chat.request.service_tier : null;
    for (const [index, attempt] of ex.route.attempts.entries()) {
      const endpoint = attempt.resolved.endpoint;
      if (index <= cut.from.index || !endpoint.prefill) continue;
      if (ex.abort.signal.aborted || ex.outcome.clientLeft) break;
      // The answer's length stays within what the client asked for, and its cost within the hold.
      const room = affordableTokens(ex.sizing.hold - spent, promptTokens, endpoint.pricing, ex.init.prompt.images, tier);
      const maxTokens = Math.min(ex.sizing.maxTokens[index] - produced, room ?? Number.MAX_SAFE_INTEGER);
      if (maxTokens < 1) continue;
      const request = { ...forEndpoint(chat.request, endpoint.supportedParameters), messages, max_tokens: maxTokens } as ChatRequest;
      const served = await this.caller.callOne(ex, attempt, index, request);
      if (!served) continue;
      const stream = new UpstreamStream(served.res.body, served.adapter.streamTranslator(), (tally) =>
        ex.holdProgress(produced + tally.tokens, false),
      );
      let opened;
      try {
        opened = await stream.open(chat.excludeReasoning, ex.abort.signal);
      } catch (err) {
        // The client left while the continuation was being read: its endpoint processed the prompt.
        ex.attempts[ex.attempts.length - 1].continued_at = cut.answer.content.length;
        ex.nextSegment(closing, promptTokens, cut.record);
        Object.assign(ex.outcome, { calling: attempt, tally: stream.tally });
        throw err;
      }
      const record = ex.attempts[ex.attempts.length - 1];
      if (opened) {
        void this.router.report(
          attempt,
          opened.status !== null ? { status: opened.status } : { failure: opened.timeout ? 'timeout' : 'server_error' },
        );
        Object.assign(record, { status: opened.status, error: opened.message, latency_ms: ex.now() - served.sentAt });
        continue;
      }
      record.continued_at = cut.answer.content.length;
      ex.nextSegment(closing, promptTokens, cut.record);
      served.stream = stream;
      Object.assign(ex.outcome, { served, calling: attempt, tally: stream.tally });
      this.metrics.streamContinuations.inc({ result: 'continued' });
      this.log.info(
        {
          generation: ex.id,
          from: cut.from.attempt.resolved.provider.slug,
          to: attempt.resolved.provider.slug,
          at: record.continued_at,
          reason: failure.message,
        },
        'stream continued on a fallback',
      );
      return { served, seam: new Seam(overlap) };
    }
    this.metrics.streamContinuations.inc({ result: 'none' });
    return null;
  }

  /** Malformed events a stream skipped (UpstreamStream): logged and counted, a provider fault worth seeing. */
  noteMalformed(ex: Exchange, served: Served): void {
    const stream = served.stream;
    if (!stream?.malformed) return;
    const provider = served.attempt.resolved.provider.slug;
    this.metrics.streamMalformed.inc({ provider }, stream.malformed);
    this.log.warn(
      { generation: ex.id, provider, events: stream.malformed, sample: stream.lastMalformed },
      'skipped malformed events in a provider stream',
    );
  }

  private allowed(ex: Exchange, answer: AnswerSoFar): boolean {
    const chat = ex.init.chat;
    if (!chat || !ex.init.streamed || ex.outcome.clientLeft || ex.abort.signal.aborted) return false;
    if (!(chat.allowContinuation ?? this.config.upstream.continuation)) return false;
    // A reasoning model's prefill would drop its reasoning (Anthropic refuses one with thinking on); a tool call cannot be prefilled.
    if (answer.unprefillable || resolveReasoning(chat.request).enabled === true) return false;
    return answer.content.trim().length > 0;
  }
}
