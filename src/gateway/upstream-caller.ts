import { Injectable } from '@nestjs/common';
import type { ResolvedEndpoint } from '../catalog/catalog.types';
import { CatalogService } from '../catalog/catalog.service';
import { Clock } from '../common/clock/clock';
import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-codes';
import { Adapters } from '../providers/adapters';
import type { ChatRequest, ChatResult, EmbeddingsRequest, EmbeddingsResult, HttpRequestSpec, ProviderAdapter } from '../providers/types';
import { UpstreamClient, UpstreamResponse, UpstreamTransportError } from '../providers/upstream-client';
import { trimRaw } from '../providers/usage';
import type { RouteAttempt } from '../routing/plan-route';
import { RouterService } from '../routing/router.service';
import type { AttemptRecord } from '../usage/entities/generation.entity';
import { Exchange, Served, UpstreamChat } from './exchange';
import { forEndpoint } from './request-params';
import { GatewayErrors, upstreamErrorCode } from './gateway.errors';
import { OutputTally, UpstreamStream } from './upstream-stream';

const MAX_ERROR_BODY = 64 * 1024;
const MAX_RESPONSE_BODY = 64 * 1024 * 1024;

/** An upstream status worth trying another endpoint for: rate limits, timeouts, server errors. */
const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

async function readText(body: UpstreamResponse['body'], limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) {
      body.destroy();
      throw new UpstreamTransportError('protocol', 'provider response too large');
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** One planned endpoint about to be called. */
interface Call {
  attempt: RouteAttempt;
  index: number;
  adapter: ProviderAdapter;
  spec: HttpRequestSpec;
}

/**
 * Calls upstreams for an exchange: the fallback loop over the planned endpoints, until one answers
 * (for a stream: until one produces output). Nothing here reaches the client; failures are reported
 * to the router and recorded in the exchange's attempts.
 */
@Injectable()
export class UpstreamCaller {
  constructor(
    private readonly catalog: CatalogService,
    private readonly adapters: Adapters,
    private readonly upstream: UpstreamClient,
    private readonly router: RouterService,
    private readonly clock: Clock,
  ) {}

  /**
   * Tries the planned endpoints in order until one answers 2xx (for a stream: until one produces
   * output). Connect failures, timeouts, 429 and 5xx move on to the next endpoint; other 4xx move on
   * to the next model.
   */
  async chat(ex: Exchange, chat: UpstreamChat): Promise<Served> {
    const { outcome } = ex;
    const signal = ex.abort.signal;
    let skipModel: string | null = null;
    for (const [index, attempt] of ex.route.attempts.entries()) {
      const maxTokens = ex.sizing.maxTokens[index];
      if (maxTokens < 1 || attempt.resolved.model.id === skipModel) continue;
      if (signal.aborted || outcome.clientLeft) throw GatewayErrors.clientClosed();
      const adapter = this.adapters.for(attempt.resolved.provider.adapter);
      // Per attempt: a fallback endpoint may support other sampling parameters (or reasoning) than the first.
      const sent = { ...forEndpoint(chat.request, attempt.resolved.endpoint.supportedParameters), max_tokens: maxTokens } as ChatRequest;
      const spec = adapter.chatRequest(sent, this.target(attempt.resolved), ex.init.streamed);
      outcome.calling = attempt;
      const served = await this.tryOne(ex, { attempt, index, adapter, spec });
      if (served && (!ex.init.streamed || (await this.openStream(ex, served, chat.excludeReasoning)))) return served;
      // Left while this endpoint was answering: it stays the one the request was cancelled on,
      // unless it failed by itself during the drain (a provider bills no request it failed).
      if (signal.aborted) throw GatewayErrors.clientClosed();
      if (outcome.clientLeft) {
        outcome.callingFailed = true;
        throw GatewayErrors.clientClosed();
      }
      outcome.calling = null;
      const last = ex.attempts[ex.attempts.length - 1];
      if (last.status !== null && !retryable(last.status)) skipModel = attempt.resolved.model.id;
    }
    if (signal.aborted || outcome.clientLeft) throw GatewayErrors.clientClosed();
    throw exhausted(ex.attempts);
  }

  /** A non-streaming answer, read whole; the outcome gets its finish reason, output size, usage and tier. */
  async readResult(ex: Exchange): Promise<ChatResult> {
    const { outcome } = ex;
    const served = outcome.served!;
    let result: ChatResult;
    try {
      result = served.adapter.parseChatResponse(JSON.parse(await readText(served.res.body, MAX_RESPONSE_BODY)));
    } catch (err) {
      if (err instanceof UpstreamTransportError && err.failure === 'aborted') {
        outcome.cancelled = true;
        throw GatewayErrors.clientClosed();
      }
      void this.router.report(served.attempt, { failure: 'server_error' });
      throw new AppError('provider_unavailable', 'Provider returned an invalid response', { provider_name: served.attempt.resolved.provider.name });
    }
    outcome.firstTokenAt = this.clock.nowMs();
    outcome.finishReason = result.finishReason;
    outcome.nativeFinishReason = result.nativeFinishReason;
    outcome.tally.chars = (result.message.content?.length ?? 0) + (result.message.reasoning?.length ?? 0) + JSON.stringify(result.message.tool_calls ?? []).length - 2;
    outcome.usage = result.usage;
    outcome.serviceTier = result.serviceTier ?? null;
    return result;
  }

  /**
   * The answer of the first planned endpoint whose adapter embeds and that answers; the outcome gets
   * its usage. No provider is called once the client is `gone`.
   */
  async embeddings(ex: Exchange, request: EmbeddingsRequest, gone: () => boolean): Promise<EmbeddingsResult> {
    for (const [index, attempt] of ex.route.attempts.entries()) {
      const adapter = this.adapters.for(attempt.resolved.provider.adapter);
      if (!adapter.embeddingsRequest || !adapter.parseEmbeddingsResponse) continue;
      if (gone()) {
        ex.outcome.cancelled = true;
        throw GatewayErrors.clientClosed();
      }
      const spec = adapter.embeddingsRequest(request, this.target(attempt.resolved));
      const served = await this.tryOne(ex, { attempt, index, adapter, spec });
      if (!served) continue;
      ex.outcome.served = served;
      ex.timing?.mark('upstream');
      const result = adapter.parseEmbeddingsResponse(JSON.parse(await readText(served.res.body, MAX_RESPONSE_BODY)), request);
      ex.outcome.usage = { prompt_tokens: result.usage.prompt_tokens, completion_tokens: 0, total_tokens: result.usage.prompt_tokens };
      ex.outcome.finishReason = 'stop';
      return result;
    }
    throw exhausted(ex.attempts);
  }

  /**
   * One chat call outside the fallback loop (a stream's continuation, see StreamContinuation): the
   * endpoint's 2xx answer, unread; null, with the attempt recorded and reported, when it failed.
   */
  async callOne(ex: Exchange, attempt: RouteAttempt, index: number, request: ChatRequest): Promise<Served | null> {
    const adapter = this.adapters.for(attempt.resolved.provider.adapter);
    const spec = adapter.chatRequest(request, this.target(attempt.resolved), ex.init.streamed);
    return this.tryOne(ex, { attempt, index, adapter, spec });
  }

  private target(r: ResolvedEndpoint) {
    return { baseUrl: r.provider.baseUrl, apiKey: this.catalog.apiKeyFor(r.provider.slug), model: r.endpoint.upstreamModel };
  }

  /** One upstream call; null (with the attempt recorded) when it failed before answering 2xx. */
  private async tryOne(ex: Exchange, call: Call): Promise<Served | null> {
    const { attempt, adapter } = call;
    const r = attempt.resolved;
    const sentAt = this.clock.nowMs();
    const record = (status: number | null, error: string | null) =>
      ex.attempts.push({ provider_name: r.provider.name, provider_slug: r.provider.slug, model: r.model.id, status, error, latency_ms: this.clock.nowMs() - sentAt });
    let res: UpstreamResponse;
    try {
      res = await this.upstream.send(call.spec, ex.abort.signal);
    } catch (err) {
      const e = UpstreamClient.classify(err);
      record(null, e.message);
      if (e.failure !== 'aborted') void this.router.report(attempt, { failure: e.failure === 'timeout' ? 'timeout' : 'connect' });
      return null;
    }
    if (res.status >= 200 && res.status < 300) {
      record(res.status, null);
      return { attempt, index: call.index, res, adapter, sentAt, headersAt: this.clock.nowMs() };
    }
    const text = await readText(res.body, MAX_ERROR_BODY).catch(() => '');
    const parsed = adapter.parseError(res.status, text);
    record(res.status, parsed.message);
    void this.router.report(attempt, { status: res.status });
    return null;
  }

  /**
   * Reads a 2xx stream up to its first output (UpstreamStream.open), counting output as it comes
   * and reporting it as the hold's progress. False, with the attempt's record amended and its
   * count dropped, when the stream failed before that.
   */
  private async openStream(ex: Exchange, served: Served, excludeReasoning: boolean): Promise<boolean> {
    const stream = new UpstreamStream(served.res.body, served.adapter.streamTranslator(), (tally, first) => ex.holdProgress(tally.tokens, first));
    ex.outcome.tally = stream.tally;
    const failure = await stream.open(excludeReasoning, ex.abort.signal);
    if (!failure) {
      served.stream = stream;
      return true;
    }
    // What a failed endpoint produced is not billed: the endpoint that serves is (README, reasoning.exclude).
    ex.outcome.tally = new OutputTally();
    ex.holdProgress(0, false);
    void this.router.report(served.attempt, failure.status !== null ? { status: failure.status } : { failure: failure.timeout ? 'timeout' : 'server_error' });
    Object.assign(ex.attempts[ex.attempts.length - 1], { status: failure.status, error: failure.message, latency_ms: this.clock.nowMs() - served.sentAt });
    return false;
  }
}

/** The error for a request no endpoint served, shaped like OpenRouter's "Provider returned error". */
function exhausted(attempts: AttemptRecord[]): AppError {
  const last = attempts[attempts.length - 1];
  if (!last) return GatewayErrors.noEndpoint();
  const previous = attempts.map((a) => ({ provider: a.provider_name, status: a.status, message: a.error }));
  const meta = { provider_name: last.provider_name, raw: last.error ? trimRaw(last.error) : null, previous_errors: previous };
  let code: ErrorCode;
  if (last.status === null) code = /in time/.test(last.error ?? '') ? 'provider_timeout' : 'provider_unavailable';
  else code = upstreamErrorCode(last.status);
  return new AppError(code, last.status === null ? `Provider unreachable: ${last.error}` : 'Provider returned error', meta);
}
