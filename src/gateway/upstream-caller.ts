import { Injectable } from '@nestjs/common';
import type { ResolvedEndpoint } from '../catalog/catalog.types';
import { CatalogService } from '../catalog/catalog.service';
import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-codes';
import { Adapters } from '../providers/adapters';
import { providerRefusal } from '../providers/error-status';
import type { ChatRequest, ChatResult, EmbeddingsRequest, EmbeddingsResult, HttpRequestSpec, ProviderAdapter } from '../providers/types';
import { UpstreamClient, UpstreamResponse, UpstreamTransportError } from '../providers/upstream-client';
import { trimRaw } from '../providers/usage';
import type { RouteAttempt } from '../routing/plan-route';
import { RouterService } from '../routing/router.service';
import type { AttemptRecord } from '../usage/entities/generation.entity';
import { Exchange, Served, UpstreamChat } from './exchange';
import { forEndpoint } from './request-params';
import { GatewayErrors, upstreamErrorCode } from './gateway.errors';
import { AttemptFailure, MIN_CALL_MS, retryAfterMs, RetryPolicy } from './retry-policy';
import { OutputTally, UpstreamStream } from './upstream-stream';

const MAX_ERROR_BODY = 64 * 1024;
const MAX_RESPONSE_BODY = 64 * 1024 * 1024;

/** An upstream status worth trying another endpoint for: rate limits, timeouts, server errors. */
const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

/** Waits `ms`, or less if the call is aborted meanwhile. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** The context an endpoint takes (the catalog gives every endpoint one, its model's by default). */
const contextOf = (attempt: RouteAttempt) => attempt.resolved.endpoint.contextLength;

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

/** One planned endpoint about to be called, and when the request's time budget ends. */
interface Call {
  attempt: RouteAttempt;
  index: number;
  adapter: ProviderAdapter;
  spec: HttpRequestSpec;
  deadline: number;
}

/** How the calls of one request stand: retries made, the last failure, what a provider asked the client to wait. */
interface Tries {
  retries: number;
  last: AttemptFailure | null;
  retryAfterMs: number | null;
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
    private readonly policy: RetryPolicy,
  ) {}

  /**
   * Tries the planned endpoints in order until one answers 2xx (for a stream: until one produces
   * output). The retry policy may call an endpoint once more first (a 500, a reset, a 429 with a
   * short Retry-After); otherwise connect failures, timeouts, 429 and 5xx move on to the next
   * endpoint, and other 4xx to the next model: for a prompt too long, to the next model with a
   * larger context; a content filter's refusal ends the request. No call starts after the
   * request's time budget.
   */
  async chat(ex: Exchange, chat: UpstreamChat): Promise<Served> {
    const { outcome } = ex;
    const signal = ex.abort.signal;
    const deadline = this.policy.deadline(ex.receivedAt);
    const tries: Tries = { retries: 0, last: null, retryAfterMs: null };
    let skipModel: string | null = null;
    // After a prompt too long for a model: only models with a larger context may take it.
    let minContext = 0;
    for (const [index, attempt] of ex.route.attempts.entries()) {
      const maxTokens = ex.sizing.maxTokens[index];
      if (maxTokens < 1 || attempt.resolved.model.id === skipModel || contextOf(attempt) <= minContext) continue;
      if (signal.aborted || outcome.clientLeft) throw GatewayErrors.clientClosed();
      if (deadline - ex.now() < MIN_CALL_MS) break;
      const adapter = this.adapters.for(attempt.resolved.provider.adapter);
      // Per attempt: a fallback endpoint may support other sampling parameters (or reasoning) than the first.
      const sent = { ...forEndpoint(chat.request, attempt.resolved.endpoint.supportedParameters), max_tokens: maxTokens } as ChatRequest;
      const spec = adapter.chatRequest(sent, this.target(attempt.resolved), ex.init.streamed);
      for (let endpointRetries = 0; ; endpointRetries++) {
        outcome.calling = attempt;
        const answered = await this.callOnce(ex, { attempt, index, adapter, spec, deadline }, chat.excludeReasoning);
        if ('res' in answered) return answered;
        const failure = answered;
        // Left while this endpoint was answering: it stays the one the request was cancelled on,
        // unless it failed by itself during the drain (a provider bills no request it failed).
        if (signal.aborted) throw GatewayErrors.clientClosed();
        if (outcome.clientLeft) {
          outcome.callingFailed = true;
          throw GatewayErrors.clientClosed();
        }
        outcome.calling = null;
        tries.last = failure;
        if (failure.retryAfterMs !== null) tries.retryAfterMs = failure.retryAfterMs;
        if (failure.refusal === 'content_policy_violation') throw refused(ex.attempts, failure);
        if (failure.refusal === 'context_length_exceeded') minContext = Math.max(minContext, contextOf(attempt));
        const decision = this.policy.decide(failure, { endpointRetries, retries: tries.retries, remainingMs: deadline - ex.now() });
        if (!decision.retry) {
          if (failure.status !== null && !retryable(failure.status)) skipModel = attempt.resolved.model.id;
          break;
        }
        tries.retries++;
        await pause(decision.delayMs, signal);
        if (signal.aborted || outcome.clientLeft) throw GatewayErrors.clientClosed();
      }
    }
    if (signal.aborted || outcome.clientLeft) throw GatewayErrors.clientClosed();
    throw exhausted(ex.attempts, tries);
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
      throw new AppError('provider_unavailable', 'Provider returned an invalid response', {
        provider_name: served.attempt.resolved.provider.name,
      });
    }
    outcome.firstTokenAt = ex.now();
    outcome.finishReason = result.finishReason;
    outcome.nativeFinishReason = result.nativeFinishReason;
    outcome.tally.chars =
      (result.message.content?.length ?? 0) +
      (result.message.reasoning?.length ?? 0) +
      JSON.stringify(result.message.tool_calls ?? []).length -
      2;
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
      const served = await this.tryOne(ex, { attempt, index, adapter, spec, deadline: this.policy.deadline(ex.receivedAt) });
      if (!('res' in served)) continue;
      ex.outcome.served = served;
      ex.timing?.mark('upstream');
      const result = adapter.parseEmbeddingsResponse(JSON.parse(await readText(served.res.body, MAX_RESPONSE_BODY)), request);
      ex.outcome.usage = { prompt_tokens: result.usage.prompt_tokens, completion_tokens: 0, total_tokens: result.usage.prompt_tokens };
      ex.outcome.finishReason = 'stop';
      return result;
    }
    throw exhausted(ex.attempts, { retries: 0, last: null, retryAfterMs: null });
  }

  /**
   * One chat call outside the fallback loop (a stream's continuation, see StreamContinuation): the
   * endpoint's 2xx answer, unread; null, with the attempt recorded and reported, when it failed.
   */
  async callOne(ex: Exchange, attempt: RouteAttempt, index: number, request: ChatRequest): Promise<Served | null> {
    const adapter = this.adapters.for(attempt.resolved.provider.adapter);
    const spec = adapter.chatRequest(request, this.target(attempt.resolved), ex.init.streamed);
    // A continuation is a new call after output reached the client: it gets a time budget of its own.
    const tried = await this.tryOne(ex, { attempt, index, adapter, spec, deadline: this.policy.deadline(ex.now()) });
    return 'res' in tried ? tried : null;
  }

  private target(r: ResolvedEndpoint) {
    return { baseUrl: r.provider.baseUrl, apiKey: this.catalog.apiKeyFor(r.provider.slug), model: r.endpoint.upstreamModel };
  }

  /** One call of an endpoint: what answered 2xx (a stream: read up to its first output), or how it failed. */
  private async callOnce(ex: Exchange, call: Call, excludeReasoning: boolean): Promise<Served | AttemptFailure> {
    const tried = await this.tryOne(ex, call);
    if (!('res' in tried) || !ex.init.streamed) return tried;
    return (await this.openStream(ex, tried, excludeReasoning, call)) ?? tried;
  }

  /** One upstream call: what answered 2xx, or (with the attempt recorded) how it failed. */
  private async tryOne(ex: Exchange, call: Call): Promise<Served | AttemptFailure> {
    const { attempt, adapter } = call;
    const r = attempt.resolved;
    const sentAt = ex.now();
    const record = (status: number | null, error: string | null) =>
      ex.attempts.push({
        provider_name: r.provider.name,
        provider_slug: r.provider.slug,
        model: r.model.id,
        status,
        error,
        latency_ms: ex.now() - sentAt,
      });
    let res: UpstreamResponse;
    try {
      res = await this.upstream.send(call.spec, ex.abort.signal, {
        firstByteMs: this.policy.firstByteMs(ex.init.streamed, call.deadline - sentAt),
      });
    } catch (err) {
      const e = UpstreamClient.classify(err);
      record(null, e.message);
      if (e.failure !== 'aborted') void this.router.report(attempt, { failure: e.failure === 'timeout' ? 'timeout' : 'connect' });
      return {
        status: null,
        transport: e.failure,
        code: e.code,
        retryAfterMs: null,
        refusal: null,
        providerCode: null,
        message: e.message,
      };
    }
    if (res.status >= 200 && res.status < 300) {
      record(res.status, null);
      return { attempt, index: call.index, res, adapter, sentAt, headersAt: ex.now() };
    }
    const text = await readText(res.body, MAX_ERROR_BODY).catch(() => '');
    const parsed = adapter.parseError(res.status, text);
    record(res.status, parsed.message);
    void this.router.report(attempt, { status: res.status });
    return {
      status: res.status,
      transport: null,
      code: null,
      retryAfterMs: retryAfterMs(res.headers, Date.now()),
      refusal: providerRefusal(res.status, parsed),
      providerCode: parsed.code ?? null,
      message: parsed.message,
    };
  }

  /**
   * Reads a 2xx stream up to its first output (UpstreamStream.open), counting output as it comes
   * and reporting it as the hold's progress; a stream with no output within the first-token limit
   * is given up. Null when it opened; else how it failed, with the attempt's record amended and
   * its count dropped.
   */
  private async openStream(ex: Exchange, served: Served, excludeReasoning: boolean, call: Call): Promise<AttemptFailure | null> {
    const stream = new UpstreamStream(served.res.body, served.adapter.streamTranslator(), (tally, first) =>
      ex.holdProgress(tally.tokens, first),
    );
    ex.outcome.tally = stream.tally;
    const now = ex.now();
    const silent = setTimeout(
      () => served.res.body.destroy(new UpstreamTransportError('timeout', 'provider sent no output in time', 'FIRST_TOKEN_TIMEOUT')),
      this.policy.firstTokenMs(call.deadline - now, now - served.sentAt),
    );
    const failure = await stream.open(excludeReasoning, ex.abort.signal).finally(() => clearTimeout(silent));
    if (!failure) {
      served.stream = stream;
      return null;
    }
    // What a failed endpoint produced is not billed: the endpoint that serves is (README, reasoning.exclude).
    ex.outcome.tally = new OutputTally();
    ex.holdProgress(0, false);
    void this.router.report(
      served.attempt,
      failure.status !== null ? { status: failure.status } : { failure: failure.timeout ? 'timeout' : 'server_error' },
    );
    Object.assign(ex.attempts[ex.attempts.length - 1], {
      status: failure.status,
      error: failure.message,
      latency_ms: ex.now() - served.sentAt,
    });
    return {
      status: failure.status,
      transport: failure.status === null ? (failure.timeout ? 'timeout' : 'protocol') : null,
      code: null,
      retryAfterMs: null,
      refusal: failure.status !== null ? providerRefusal(failure.status, { message: failure.message }) : null,
      providerCode: null,
      message: failure.message,
    };
  }
}

/** A provider's refusal as the client gets it: its own reason, typed (`error.metadata.error_type`). */
function refused(attempts: AttemptRecord[], failure: AttemptFailure): AppError {
  const last = attempts[attempts.length - 1];
  const previous = attempts.map((a) => ({ provider: a.provider_name, status: a.status, message: a.error }));
  return new AppError(failure.refusal!, failure.message, {
    provider_name: last.provider_name,
    ...(failure.providerCode ? { provider_code: failure.providerCode } : {}),
    raw: trimRaw(failure.message),
    previous_errors: previous,
  });
}

/**
 * The error for a request no endpoint served, shaped like OpenRouter's "Provider returned error";
 * a refusal keeps its type, and the last `Retry-After` a provider sent is passed on.
 */
function exhausted(attempts: AttemptRecord[], tries: Tries): AppError {
  const last = attempts[attempts.length - 1];
  if (!last) return GatewayErrors.noEndpoint();
  if (tries.last?.refusal) return refused(attempts, tries.last);
  const previous = attempts.map((a) => ({ provider: a.provider_name, status: a.status, message: a.error }));
  const meta = { provider_name: last.provider_name, raw: last.error ? trimRaw(last.error) : null, previous_errors: previous };
  let code: ErrorCode;
  if (last.status === null) code = /in time/.test(last.error ?? '') ? 'provider_timeout' : 'provider_unavailable';
  else code = upstreamErrorCode(last.status);
  const wait = tries.retryAfterMs !== null && (code === 'rate_limit_exceeded' || last.status === null || last.status >= 500);
  const headers: Record<string, string> = wait ? { 'retry-after': String(Math.max(1, Math.ceil(tries.retryAfterMs! / 1000))) } : {};
  return new AppError(code, last.status === null ? `Provider unreachable: ${last.error}` : 'Provider returned error', meta, headers);
}
