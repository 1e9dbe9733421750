import { TextDecoder } from 'node:util';
import { Injectable, OnModuleDestroy } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { CatalogService } from '../catalog/catalog.service';
import { costOf, costSplit, holdPricesFor, maxCostOf } from '../catalog/pricing';
import { Clock } from '../common/clock/clock';
import { AppConfig } from '../common/config/app-config';
import { randomIdBytes } from '../common/crypto/tokens';
import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-codes';
import { normaliseError, toEnvelope } from '../common/errors/error-envelope';
import { ServerTiming } from '../common/http/server-timing';
import { AppLogger } from '../common/logging/app-logger';
import { nanosToUsd } from '../common/money/money';
import { HoldsService } from '../credits/holds.service';
import { FreeModelLimits } from '../keys/free-model-limits';
import { PurchaseHistory } from '../keys/purchase-history';
import { KeyPrincipal } from '../keys/principal';
import { Adapters } from '../providers/adapters';
import { resolveReasoning } from '../providers/reasoning';
import { SseParser } from '../providers/sse-parser';
import { streamErrorStatus } from '../providers/error-status';
import type { ChatRequest, ChatResult, ChunkDelta, FinishReason, ProviderAdapter, StreamTranslator, Usage } from '../providers/types';
import { UpstreamClient, UpstreamResponse, UpstreamTransportError } from '../providers/upstream-client';
import { trimRaw } from '../providers/usage';
import { EndpointHealthService } from '../routing/endpoint-health.service';
import { parseModelSlug, planRoute, RouteAttempt } from '../routing/plan-route';
import { sessionKeyFrom, StickySessionsService } from '../routing/sticky-sessions.service';
import type { AttemptRecord } from '../usage/entities/generation.entity';
import { UsageService } from '../usage/usage.service';
import { costDetails, NOTHING_PRICED } from './cost-details';
import { ChatCompletionDto } from './dto/chat-completion.dto';
import { EmbeddingsDto } from './dto/embeddings.dto';
import { GatewayErrors, isLimitSource, upstreamErrorCode, withTokens } from './gateway.errors';
import { legacyLogprobs } from './legacy-logprobs';
import { estimateOutputTokens, estimatePrompt } from './prompt-estimate';
import { forEndpoint, requestParams } from './request-params';
import { embeddingHold, isPriced, promptTokensFor, sizeRequest, SizingRequest } from './sizing';
import { SseWriter } from './sse-writer';
import { upstreamUser } from './upstream-user';

/** Facts about the HTTP request the gateway needs, taken from headers by the controller. */
export interface RequestMeta {
  requestId: string;
  referer: string | null;
  title: string | null;
  userAgent: string | null;
  sessionHeader: string | null;
}

/** Chat completions answer as chat; the legacy /completions endpoint reshapes the same result as text. */
export type ResponseFormat = 'chat' | 'text';

interface Served {
  attempt: RouteAttempt;
  index: number;
  res: UpstreamResponse;
  adapter: ProviderAdapter;
  sentAt: number;
  headersAt: number;
  /** For a stream: read up to its first output, nothing of it sent yet. */
  opened?: OpenedStream;
}

interface OpenedStream {
  chunks: AsyncIterator<Buffer>;
  parser: SseParser;
  decoder: TextDecoder;
  translator: StreamTranslator;
  /** Deltas read before the first output (role-only ones) and the one carrying it. */
  pending: ChunkDelta[];
  ended: boolean;
}

interface Outcome {
  served: Served | null;
  /** The endpoint called while none has served yet: a client leaving meanwhile leaves the record naming it. */
  calling: RouteAttempt | null;
  usage: Usage | null;
  estimated: boolean;
  outputChars: number;
  /** Deltas with output read from the endpoint being billed, excluded reasoning included (it is billed too). */
  outputDeltas: number;
  /** The service tier a non-streaming answer says served it (a stream's translator tells its own). */
  serviceTier?: string | null;
  finishReason: FinishReason | null;
  nativeFinishReason: string | null;
  cancelled: boolean;
  error: AppError | null;
  firstTokenAt: number | null;
  /** What the sweeper needs to record the request if this process dies (see HoldsService.started). */
  holdContext?: Record<string, unknown>;
  /** The client went away; the provider's answer is still read (drained) to learn its bill. */
  clientLeft?: boolean;
  /** The drain ran out before the provider's answer ended. */
  drainTimedOut?: boolean;
  /** The endpoint being called failed by itself after the client left: named in the record, not billed. */
  callingFailed?: boolean;
}

const MAX_ERROR_BODY = 64 * 1024;
const MAX_RESPONSE_BODY = 64 * 1024 * 1024;
const PROCESSING_EVERY_MS = 2000;

/**
 * Whether a delta carries output the client will see, as opposed to only a role, a finish reason or
 * logprobs; reasoning the client asked to exclude is not output it sees.
 */
const hasOutput = (d: ChunkDelta, excludeReasoning: boolean) =>
  Boolean(d.delta.content || (!excludeReasoning && d.delta.reasoning) || d.delta.tool_calls || d.delta.refusal);

/** A delta without its reasoning (reasoning.exclude); null when nothing is left to send. */
function withoutReasoning(d: ChunkDelta): ChunkDelta | null {
  if (d.delta.reasoning === undefined) return d;
  const { reasoning: _r, ...delta } = d.delta;
  return Object.keys(delta).length || d.finishReason || d.logprobs ? { ...d, delta } : null;
}

const newGenerationId = () => `gen-${randomIdBytes(15).replace(/[-_]/g, 'x')}`;

/** Whether the client of this request has disconnected (it may have left before we listened for it). */
const clientGone = (reply: FastifyReply) => reply.raw.destroyed || reply.request.raw.socket?.destroyed === true;

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

/**
 * The inference pipeline: admit (hold on caps) -> route -> call (fallbacks before the first byte)
 * -> stream -> settle exactly once -> record. Every way a request can end goes through `finish`.
 */
@Injectable()
export class GatewayService implements OnModuleDestroy {
  private readonly log: AppLogger;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly catalog: CatalogService,
    private readonly health: EndpointHealthService,
    private readonly sticky: StickySessionsService,
    private readonly adapters: Adapters,
    private readonly upstream: UpstreamClient,
    private readonly holds: HoldsService,
    private readonly purchases: PurchaseHistory,
    private readonly freeLimits: FreeModelLimits,
    private readonly usage: UsageService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    logger: AppLogger,
  ) {
    this.log = logger.child({ component: 'gateway' });
  }

  /** Settlements still running when the app stops are awaited, so no hold is left behind. */
  async onModuleDestroy(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  async chat(
    principal: KeyPrincipal,
    body: ChatCompletionDto,
    meta: RequestMeta,
    reply: FastifyReply,
    format: ResponseFormat = 'chat',
  ): Promise<Record<string, unknown> | undefined> {
    const receivedAt = this.clock.nowMs();
    const timing = this.config.http.serverTiming ? new ServerTiming(this.clock, reply.elapsedTime) : null;
    const models = [body.model, ...(body.models ?? [])].filter((m): m is string => typeof m === 'string' && m.length > 0);
    if (models.length === 0) throw GatewayErrors.modelRequired();
    if (parseModelSlug(models[0]).suffix === 'free') {
      await this.freeLimits.check(principal.userId, await this.purchases.purchasedNanos(principal.userId));
    }

    const prompt = estimatePrompt(body);
    const sessionKey = sessionKeyFrom(body as unknown as Record<string, unknown>, { 'x-session-id': meta.sessionHeader ?? undefined });
    const baseModel = parseModelSlug(models[0]).modelId;
    const remembered = sessionKey ? await this.sticky.get(principal.userId, baseModel, sessionKey) : null;
    const clientMax = body.max_completion_tokens ?? body.max_tokens;
    const plan = planRoute(
      {
        models,
        provider: body.provider,
        params: requestParams(body as unknown as Record<string, unknown>),
        promptTokens: prompt.tokens,
        maxTokens: clientMax,
        kind: 'chat',
        sticky: remembered,
      },
      this.catalog,
      (e) => this.health.health(e),
      receivedAt,
      Math.random,
    );
    if (!plan.ok) throw plan.error;

    const budget = clientMax === undefined ? await this.holds.budget(principal.keyId, principal.userId, principal.limit) : null;
    const sizing = { promptTokens: prompt.tokens, images: prompt.images, imageParts: prompt.imageParts, clientMax, serviceTier: body.service_tier, extraCompletionTokens: prompt.predictionTokens };
    const sized = sizeRequest(plan.attempts.map((a) => a.resolved), sizing, budget?.room ?? null);
    if (!sized.ok) {
      // Only a budget (no max_tokens) can refuse here. A cap that limits it is a 403 naming the cap, never "more credits".
      if (budget && (budget.source !== 'balance' || budget.room === 0n)) {
        const needed = maxCostOf(prompt.tokens, 1, plan.attempts[0].resolved.endpoint.pricing, prompt.images, body.service_tier);
        throw withTokens(await this.holds.exhausted(principal.userId, budget, needed), sized.requested, sized.affordable);
      }
      throw GatewayErrors.cannotAfford(sized.requested, sized.affordable);
    }
    const { maxTokens, hold } = sized.sizing;
    const genId = newGenerationId();
    timing?.mark('route');
    await this.admit(genId, principal, hold, sizing, plan.attempts);
    timing?.mark('hold');

    const stream = body.stream === true;
    const chatRequest = this.toChatRequest(body, principal.userId);
    // Gemini leaves excluded thoughts out itself; other upstreams return them and the gateway drops them.
    const excludeReasoning = resolveReasoning(chatRequest).exclude;
    // Aborts the upstream call: not when the client leaves, but when the drain after that runs out.
    const controller = new AbortController();
    let drainTimer: NodeJS.Timeout | undefined;
    const attempts: AttemptRecord[] = [];
    const outcome: Outcome = {
      served: null,
      calling: null,
      usage: null,
      estimated: false,
      outputChars: 0,
      outputDeltas: 0,
      finishReason: null,
      nativeFinishReason: null,
      cancelled: false,
      error: null,
      firstTokenAt: null,
      holdContext: {
        userId: principal.userId,
        keyId: principal.keyId,
        appId: principal.appId,
        requestId: meta.requestId,
        apiType: 'completions',
        requestedModel: models[0],
        streamed: stream,
        tokensPrompt: prompt.tokens,
        createdAt: new Date(receivedAt).toISOString(),
      },
    };
    const writer = stream
      ? new SseWriter(reply.raw, { 'x-request-id': meta.requestId, ...(timing ? { 'server-timing': timing.header() } : {}) }, this.config.upstream.writeStallMs)
      : null;
    const onClose = () => {
      if (reply.raw.writableFinished || outcome.clientLeft) return;
      if (writer?.stalled) {
        // The gateway cut a client that stopped reading: the provider's work ends now, and what was
        // read from it (relayed or waiting to be) is billed, not drained.
        outcome.clientLeft = true;
        controller.abort();
        return;
      }
      // The provider bills the request whether or not the client stays: keep reading its answer,
      // relaying nothing, until its usage is known or the drain timeout.
      outcome.clientLeft = true;
      drainTimer = setTimeout(() => {
        outcome.drainTimedOut = true;
        controller.abort();
      }, this.config.upstream.drainTimeoutMs);
    };
    reply.raw.on('close', onClose);
    // A client that left while the request waited (auth, rate limit, hold) is gone before the
    // listener above existed: no provider call is started for it (callUpstream checks clientLeft).
    if (clientGone(reply)) onClose();
    let response: Record<string, unknown> | undefined;
    try {
      if (writer) reply.hijack();
      outcome.served = await this.callUpstream(plan.attempts, maxTokens, chatRequest, stream, controller.signal, attempts, outcome, writer, genId, receivedAt, excludeReasoning);
      if (timing) {
        timing.mark('upstream');
        writer?.setHeader('server-timing', timing.header());
      }
      if (writer) {
        await this.pumpStream(outcome, writer, genId, format, hold, prompt.tokens, prompt.images, controller.signal, receivedAt, excludeReasoning);
      } else {
        response = await this.readResult(outcome, genId, format, hold, prompt.tokens, prompt.images, excludeReasoning);
        // Read to its end after the client left: billed on the provider's usage, recorded as cancelled.
        if (outcome.clientLeft) outcome.cancelled = true;
        reply.header('x-generation-id', genId);
        reply.header('x-switchyard-overhead-ms', this.overhead(receivedAt, outcome.served));
        if (timing) {
          timing.mark('response');
          reply.header('server-timing', timing.header());
        }
      }
    } catch (err) {
      outcome.error = err instanceof AppError ? err : GatewayErrors.internal();
      if (!(err instanceof AppError)) this.log.error({ err, generation: genId }, 'request failed');
      outcome.cancelled ||= controller.signal.aborted || outcome.clientLeft === true;
      if (writer) {
        if (!writer.headersSent && !writer.closed) {
          // Nothing reached the client yet: answer with a plain HTTP error.
          const e = outcome.error;
          reply.raw.writeHead(e.status, { 'content-type': 'application/json; charset=utf-8', 'x-request-id': meta.requestId, ...e.headers });
          reply.raw.end(JSON.stringify(toEnvelope(normaliseError(e))));
        } else {
          await this.endStreamWithError(writer, genId, outcome, format, hold, prompt.tokens, prompt.images);
        }
      } else {
        throw outcome.error;
      }
    } finally {
      reply.raw.off('close', onClose);
      clearTimeout(drainTimer);
      this.track(this.finish(principal, body, meta, genId, models[0], hold, prompt, outcome, attempts, receivedAt, stream, sessionKey));
    }
    return response;
  }

  async embeddings(principal: KeyPrincipal, body: EmbeddingsDto, meta: RequestMeta, reply: FastifyReply): Promise<Record<string, unknown>> {
    const receivedAt = this.clock.nowMs();
    const timing = this.config.http.serverTiming ? new ServerTiming(this.clock, reply.elapsedTime) : null;
    const models = [body.model, ...(body.models ?? [])].filter((m): m is string => typeof m === 'string' && m.length > 0);
    if (models.length === 0) throw GatewayErrors.modelRequired();
    const inputs = typeof body.input === 'string' ? [body.input] : (body.input as unknown[]);
    const promptTokens = inputs.reduce<number>((n, x) => n + (typeof x === 'string' ? Math.ceil(Buffer.byteLength(x) / 3) + 1 : Array.isArray(x) ? x.length : 1), 0);
    const plan = planRoute(
      { models, provider: body.provider, params: [], promptTokens, kind: 'embedding' },
      this.catalog,
      (e) => this.health.health(e),
      receivedAt,
      Math.random,
    );
    if (!plan.ok) throw plan.error;
    const hold = embeddingHold(plan.attempts.map((a) => a.resolved), promptTokens);
    const genId = newGenerationId();
    timing?.mark('route');
    await this.admit(genId, principal, hold, { promptTokens, images: 0, clientMax: undefined }, plan.attempts);
    timing?.mark('hold');

    const attempts: AttemptRecord[] = [];
    const outcome: Outcome = { served: null, calling: null, usage: null, estimated: false, outputChars: 0, outputDeltas: 0, finishReason: null, nativeFinishReason: null, cancelled: false, error: null, firstTokenAt: null };
    const controller = new AbortController();
    try {
      for (const [index, attempt] of plan.attempts.entries()) {
        const adapter = this.adapters.for(attempt.resolved.provider.adapter);
        if (!adapter.embeddingsRequest || !adapter.parseEmbeddingsResponse) continue;
        if (clientGone(reply)) {
          outcome.cancelled = true;
          throw GatewayErrors.clientClosed();
        }
        const request = { input: body.input, encoding_format: body.encoding_format, dimensions: body.dimensions, user: body.user && upstreamUser(principal.userId, body.user) };
        const spec = adapter.embeddingsRequest(request, this.target(attempt));
        const served = await this.tryOne(attempt, index, adapter, spec, controller.signal, attempts);
        if (!served) continue;
        outcome.served = served;
        timing?.mark('upstream');
        const text = await readText(served.res.body, MAX_RESPONSE_BODY);
        const result = adapter.parseEmbeddingsResponse(JSON.parse(text), request);
        outcome.usage = { prompt_tokens: result.usage.prompt_tokens, completion_tokens: 0, total_tokens: result.usage.prompt_tokens };
        outcome.finishReason = 'stop';
        const cost = this.costFor(outcome, hold, 0);
        reply.header('x-generation-id', genId);
        reply.header('x-switchyard-overhead-ms', this.overhead(receivedAt, served));
        if (timing) {
          timing.mark('response');
          reply.header('server-timing', timing.header());
        }
        return {
          id: genId,
          object: 'list',
          model: attempt.resolved.model.id,
          provider: attempt.resolved.provider.name,
          data: result.data,
          usage: { ...result.usage, ...this.costJson(outcome, cost, 0) },
        };
      }
      throw this.exhausted(attempts);
    } catch (err) {
      outcome.error = err instanceof AppError ? err : GatewayErrors.internal();
      if (!(err instanceof AppError)) this.log.error({ err, generation: genId }, 'embeddings request failed');
      throw outcome.error;
    } finally {
      this.track(
        this.finish(principal, { user: body.user }, meta, genId, models[0], hold, { tokens: promptTokens, images: 0 }, outcome, attempts, receivedAt, false, null, 'embeddings'),
      );
    }
  }

  // ---- admission -------------------------------------------------------------------------------

  /**
   * Holds the request's maximum cost on the balance, the caps and the key limit. When the client
   * chose max_tokens and the hold does not fit, the answer is OpenRouter's 402 with how many tokens
   * it could afford (or the 403 of a cap with no room left at all).
   */
  private async admit(
    genId: string,
    principal: KeyPrincipal,
    hold: bigint,
    sizing: SizingRequest,
    attempts: RouteAttempt[],
  ): Promise<void> {
    const { clientMax } = sizing;
    const pricing = attempts[0].resolved.endpoint.pricing;
    // A priced endpoint on a hold of 0 would be served for nothing: a sizing bug, never a free request.
    if (hold === 0n && isPriced(attempts[0].resolved)) {
      this.log.error({ generation: genId, model: attempts[0].resolved.model.id }, 'refused a priced request sized at 0');
      throw GatewayErrors.internal();
    }
    const promptTokens = promptTokensFor(attempts[0].resolved, sizing);
    try {
      await this.holds.hold({
        id: genId,
        userId: principal.userId,
        keyId: principal.keyId,
        amount: hold,
        promptCost: maxCostOf(promptTokens, 0, pricing, sizing.images, sizing.serviceTier),
        // What the sweeper bills relayed output at, should this process die: the price this request pays.
        completionPrice: holdPricesFor(pricing, promptTokens, sizing.serviceTier).completion,
      });
    } catch (err) {
      const refusal = err instanceof AppError && (err.code === 'permission_denied' || err.code === 'payment_required');
      if (!refusal || clientMax === undefined || err.metadata.limit_source === 'dispute') throw err;
      const budget = await this.holds.budget(principal.keyId, principal.userId, principal.limit);
      const sized = budget.room === null ? null : sizeRequest([attempts[0].resolved], sizing, budget.room);
      const affordable = !sized || sized.ok ? clientMax : sized.affordable;
      // A cap refused: it stays the 403 naming the cap (the balance may cover the request), with the tokens it allows.
      if (isLimitSource(err.metadata.limit_source)) throw withTokens(err, clientMax, affordable);
      if (budget.room === null || budget.room === 0n) throw err;
      throw GatewayErrors.cannotAfford(clientMax, affordable);
    }
  }

  // ---- calling upstreams -----------------------------------------------------------------------

  private target(attempt: RouteAttempt) {
    const r = attempt.resolved;
    return { baseUrl: r.provider.baseUrl, apiKey: this.catalog.apiKeyFor(r.provider.slug), model: r.endpoint.upstreamModel };
  }

  /**
   * Tries the planned endpoints in order until one answers 2xx (for a stream: until one produces
   * output). Connect failures, timeouts, 429 and 5xx move on to the next endpoint; other 4xx move on
   * to the next model. Nothing here has reached the client yet except, for slow upstreams,
   * `: PROCESSING` comments.
   */
  private async callUpstream(
    plan: RouteAttempt[],
    maxTokens: number[],
    req: Omit<ChatRequest, 'max_tokens'>,
    stream: boolean,
    signal: AbortSignal,
    attempts: AttemptRecord[],
    outcome: Outcome,
    writer: SseWriter | null,
    genId: string,
    receivedAt: number,
    excludeReasoning: boolean,
  ): Promise<Served> {
    let processing: NodeJS.Timeout | undefined;
    let skipModel: string | null = null;
    const keepAlive = () => {
      if (!writer || writer.closed) return;
      writer.start({ 'x-generation-id': genId, 'x-switchyard-overhead-ms': String(this.clock.nowMs() - receivedAt) });
      void writer.comment('PROCESSING');
      processing = setTimeout(keepAlive, PROCESSING_EVERY_MS);
    };
    if (writer) processing = setTimeout(keepAlive, this.config.upstream.processingAfterMs);
    try {
      for (const [index, attempt] of plan.entries()) {
        if (maxTokens[index] < 1 || attempt.resolved.model.id === skipModel) continue;
        if (signal.aborted || outcome.clientLeft) throw GatewayErrors.clientClosed();
        const adapter = this.adapters.for(attempt.resolved.provider.adapter);
        // Per attempt: a fallback endpoint may support other sampling parameters (or reasoning) than the first.
        const sent = { ...forEndpoint(req, attempt.resolved.endpoint.supportedParameters), max_tokens: maxTokens[index] } as ChatRequest;
        const spec = adapter.chatRequest(sent, this.target(attempt), stream);
        outcome.calling = attempt;
        const served = await this.tryOne(attempt, index, adapter, spec, signal, attempts);
        if (served && (!stream || (await this.openStream(served, signal, attempts, excludeReasoning, outcome, genId)))) return served;
        // Left while this endpoint was answering: it stays the one the request was cancelled on,
        // unless it failed by itself during the drain (a provider bills no request it failed).
        if (signal.aborted) throw GatewayErrors.clientClosed();
        if (outcome.clientLeft) {
          outcome.callingFailed = true;
          throw GatewayErrors.clientClosed();
        }
        outcome.calling = null;
        const last = attempts[attempts.length - 1];
        if (last.status !== null && !retryable(last.status)) skipModel = attempt.resolved.model.id;
      }
      if (signal.aborted || outcome.clientLeft) throw GatewayErrors.clientClosed();
      throw this.exhausted(attempts);
    } finally {
      clearTimeout(processing);
    }
  }

  /** One upstream call; null (with the attempt recorded) when it failed before answering 2xx. */
  private async tryOne(
    attempt: RouteAttempt,
    index: number,
    adapter: ProviderAdapter,
    spec: ReturnType<ProviderAdapter['chatRequest']>,
    signal: AbortSignal,
    attempts: AttemptRecord[],
  ): Promise<Served | null> {
    const r = attempt.resolved;
    const sentAt = this.clock.nowMs();
    const record = (status: number | null, error: string | null) =>
      attempts.push({ provider_name: r.provider.name, provider_slug: r.provider.slug, model: r.model.id, status, error, latency_ms: this.clock.nowMs() - sentAt });
    let res: UpstreamResponse;
    try {
      res = await this.upstream.send(spec, signal);
    } catch (err) {
      const e = UpstreamClient.classify(err);
      record(null, e.message);
      if (e.failure !== 'aborted') this.health.recordFailure(r, e.failure === 'timeout' ? 'timeout' : 'connect');
      return null;
    }
    if (res.status >= 200 && res.status < 300) {
      record(res.status, null);
      return { attempt, index, res, adapter, sentAt, headersAt: this.clock.nowMs() };
    }
    const text = await readText(res.body, MAX_ERROR_BODY).catch(() => '');
    const parsed = adapter.parseError(res.status, text);
    record(res.status, parsed.message);
    this.recordErrorStatus(r, res.status);
    return null;
  }

  private recordErrorStatus(r: RouteAttempt['resolved'], status: number): void {
    if (status === 429) this.health.recordFailure(r, 'rate_limited');
    else if (status >= 500) this.health.recordFailure(r, 'server_error');
  }

  /**
   * Reads a 2xx stream up to its first output (content, reasoning, a tool call) or its normal end,
   * sending nothing: a failure before that is one the client never saw, so the next endpoint may
   * still serve. Excluded reasoning is not output: the client would see nothing of it, so a failure
   * after it still falls back, but it is counted (and reported as the hold's progress) as it comes.
   * False, with the attempt's record amended and its count dropped, when the stream failed that way.
   */
  private async openStream(served: Served, signal: AbortSignal, attempts: AttemptRecord[], excludeReasoning: boolean, outcome: Outcome, genId: string): Promise<boolean> {
    const r = served.attempt.resolved;
    const opened: OpenedStream = {
      chunks: served.res.body[Symbol.asyncIterator](),
      parser: new SseParser(),
      decoder: new TextDecoder(),
      translator: served.adapter.streamTranslator(),
      pending: [],
      ended: false,
    };
    const { translator } = opened;
    let failure: { status: number | null; message: string; timeout?: boolean };
    try {
      for (;;) {
        const fresh = await this.nextDeltas(opened);
        opened.pending.push(...fresh);
        for (const d of fresh) this.countOutput(outcome, genId, d);
        // The error first: one before the first output failed unseen, even when [DONE] came after it in the same read.
        const upstreamError = translator.error();
        if (upstreamError) {
          failure = { status: streamErrorStatus(upstreamError.code), message: upstreamError.message };
          break;
        }
        // Only this read's deltas: the earlier ones were looked at when they came (long excluded reasoning is many reads).
        if (fresh.some((d) => hasOutput(d, excludeReasoning)) || translator.done()) {
          served.opened = opened;
          return true;
        }
        if (opened.ended) {
          failure = { status: null, message: 'the provider ended the stream before any output' };
          break;
        }
      }
    } catch (err) {
      const e = UpstreamClient.classify(err);
      if (signal.aborted || e.failure === 'aborted') {
        served.res.body.destroy();
        throw GatewayErrors.clientClosed();
      }
      failure = { status: null, message: e.message, timeout: e.failure === 'timeout' };
    }
    served.res.body.destroy();
    // What a failed endpoint produced is not billed: the endpoint that serves is (README, reasoning.exclude).
    outcome.outputChars = 0;
    outcome.outputDeltas = 0;
    this.holds.progress(genId, 0);
    if (failure.status !== null) this.recordErrorStatus(r, failure.status);
    else this.health.recordFailure(r, failure.timeout ? 'timeout' : 'server_error');
    Object.assign(attempts[attempts.length - 1], { status: failure.status, error: failure.message, latency_ms: this.clock.nowMs() - served.sentAt });
    return false;
  }

  /** The deltas of the next piece of an upstream stream (of what the parser held, at its end). */
  private async nextDeltas(opened: OpenedStream): Promise<ChunkDelta[]> {
    const next = await opened.chunks.next();
    opened.ended = next.done === true;
    const events = next.done ? opened.parser.end() : opened.parser.push(opened.decoder.decode(next.value, { stream: true }));
    return events.flatMap((ev) => opened.translator.push(ev));
  }

  /** The error for a request no endpoint served, shaped like OpenRouter's "Provider returned error". */
  private exhausted(attempts: AttemptRecord[]): AppError {
    const last = attempts[attempts.length - 1];
    if (!last) return GatewayErrors.noEndpoint();
    const previous = attempts.map((a) => ({ provider: a.provider_name, status: a.status, message: a.error }));
    const meta = { provider_name: last.provider_name, raw: last.error ? trimRaw(last.error) : null, previous_errors: previous };
    let code: ErrorCode;
    if (last.status === null) code = /in time/.test(last.error ?? '') ? 'provider_timeout' : 'provider_unavailable';
    else code = upstreamErrorCode(last.status);
    return new AppError(code, last.status === null ? `Provider unreachable: ${last.error}` : 'Provider returned error', meta);
  }

  // ---- non-streaming ---------------------------------------------------------------------------

  private async readResult(
    outcome: Outcome,
    genId: string,
    format: ResponseFormat,
    hold: bigint,
    promptTokens: number,
    images: number,
    excludeReasoning: boolean,
  ): Promise<Record<string, unknown>> {
    const served = outcome.served!;
    let result: ChatResult;
    try {
      result = served.adapter.parseChatResponse(JSON.parse(await readText(served.res.body, MAX_RESPONSE_BODY)));
    } catch (err) {
      if (err instanceof UpstreamTransportError && err.failure === 'aborted') {
        outcome.cancelled = true;
        throw GatewayErrors.clientClosed();
      }
      this.health.recordFailure(served.attempt.resolved, 'server_error');
      throw new AppError('provider_unavailable', 'Provider returned an invalid response', { provider_name: served.attempt.resolved.provider.name });
    }
    outcome.firstTokenAt = this.clock.nowMs();
    outcome.finishReason = result.finishReason;
    outcome.nativeFinishReason = result.nativeFinishReason;
    outcome.outputChars = (result.message.content?.length ?? 0) + (result.message.reasoning?.length ?? 0) + JSON.stringify(result.message.tool_calls ?? []).length - 2;
    outcome.usage = result.usage;
    outcome.serviceTier = result.serviceTier ?? null;
    if (!outcome.usage) this.estimateUsage(outcome, promptTokens);
    const cost = this.costFor(outcome, hold, images);
    const r = served.attempt.resolved;
    const base = {
      id: genId,
      created: Math.floor(this.clock.nowMs() / 1000),
      model: r.model.id,
      provider: r.provider.name,
      system_fingerprint: null,
      ...(result.serviceTier ? { service_tier: result.serviceTier } : {}),
    };
    const usage = this.usageJson(outcome, cost, images);
    if (format === 'text') {
      return { ...base, object: 'text_completion', choices: [{ index: 0, text: result.message.content ?? '', finish_reason: result.finishReason, logprobs: legacyLogprobs(result.logprobs) }], usage };
    }
    return {
      ...base,
      object: 'chat.completion',
      choices: [
        {
          index: 0,
          logprobs: result.logprobs ?? null,
          finish_reason: result.finishReason,
          native_finish_reason: result.nativeFinishReason,
          message: { refusal: null, reasoning: null, ...result.message, ...(excludeReasoning ? { reasoning: null } : {}) },
        },
      ],
      usage,
    };
  }

  // ---- streaming -------------------------------------------------------------------------------

  /** A chunk's JSON up to its choices; the upstream's service_tier as it last reported it (it may come with any chunk). */
  private chunkPrefix(genId: string, format: ResponseFormat, served: Served): () => string {
    const r = served.attempt.resolved;
    const head = { id: genId, object: format === 'text' ? 'text_completion' : 'chat.completion.chunk', created: Math.floor(this.clock.nowMs() / 1000), model: r.model.id, provider: r.provider.name };
    const open = JSON.stringify(head).slice(0, -1);
    const translator = served.opened!.translator;
    return () => {
      const tier = translator.serviceTier?.();
      return `${open}${tier ? `,"service_tier":${JSON.stringify(tier)}` : ''},"choices":[`;
    };
  }

  private choiceJson(format: ResponseFormat, d: ChunkDelta): string {
    if (format === 'text') {
      return JSON.stringify({ index: 0, text: d.delta.content ?? '', finish_reason: d.finishReason ?? null, logprobs: legacyLogprobs(d.logprobs) });
    }
    return JSON.stringify({ index: 0, delta: d.delta, finish_reason: d.finishReason ?? null, native_finish_reason: d.nativeFinishReason ?? null, logprobs: d.logprobs ?? null });
  }

  /** Relays the upstream stream chunk by chunk, then the usage chunk and [DONE]. */
  private async pumpStream(
    outcome: Outcome,
    writer: SseWriter,
    genId: string,
    format: ResponseFormat,
    hold: bigint,
    promptTokens: number,
    images: number,
    signal: AbortSignal,
    receivedAt: number,
    excludeReasoning: boolean,
  ): Promise<void> {
    const served = outcome.served!;
    const opened = served.opened!;
    const { translator } = opened;
    // For a stream the overhead we can report in headers is what came before the upstream call.
    writer.start({ 'x-generation-id': genId, 'x-switchyard-overhead-ms': String(served.sentAt - receivedAt) });
    const prefix = this.chunkPrefix(genId, format, served);
    // The deltas openStream read were counted there.
    const relay = async (deltas: ChunkDelta[], counted: boolean) => {
      for (const d of deltas) {
        if (!counted) this.countOutput(outcome, genId, d);
        if (d.finishReason) {
          outcome.finishReason = d.finishReason;
          outcome.nativeFinishReason = d.nativeFinishReason ?? null;
        }
        const visible = excludeReasoning ? withoutReasoning(d) : d;
        if (!visible) continue;
        outcome.firstTokenAt ??= this.clock.nowMs();
        await writer.data(prefix() + this.choiceJson(format, visible) + ']}');
      }
    };
    // Checked between upstream reads: a silent upstream is bounded by UPSTREAM_IDLE_TIMEOUT_MS.
    const deadline = receivedAt + this.config.upstream.maxStreamMs;
    let overtime = false;
    try {
      await relay(opened.pending, true);
      // A closed writer drops what it is given: after the client left, the rest is read for its usage only.
      while (!opened.ended && !translator.error() && !translator.done()) {
        if (this.clock.nowMs() >= deadline) {
          overtime = true;
          break;
        }
        await relay(await this.nextDeltas(opened), false);
      }
    } catch (err) {
      const e = UpstreamClient.classify(err);
      if (signal.aborted || e.failure === 'aborted') {
        outcome.cancelled = true;
        this.streamUsage(outcome, translator);
        throw GatewayErrors.clientClosed();
      }
      this.health.recordFailure(served.attempt.resolved, e.failure === 'timeout' ? 'timeout' : 'server_error');
      throw GatewayErrors.streamCut(served.attempt.resolved.provider.name, e.message);
    } finally {
      served.res.body.destroy();
    }
    if (writer.closed) {
      outcome.cancelled = true;
      this.streamUsage(outcome, translator);
      throw GatewayErrors.clientClosed();
    }
    // Ends with an error chunk; what was relayed is billed as for a cut stream.
    if (overtime) throw GatewayErrors.streamTooLong(this.config.upstream.maxStreamMs);
    const upstreamError = translator.error();
    if (upstreamError) {
      throw GatewayErrors.streamError(served.attempt.resolved.provider.name, streamErrorStatus(upstreamError.code), trimRaw(upstreamError.message), upstreamError.code);
    }
    // A body that ends cleanly after the finish reason or the usage is complete: several providers
    // close without the [DONE] sentinel, and every SDK accepts that.
    const finalUsage = translator.usage() !== null && translator.usageFinal?.() !== false;
    const complete = translator.done() || (opened.ended && (outcome.finishReason !== null || finalUsage));
    if (!complete) throw GatewayErrors.streamCut(served.attempt.resolved.provider.name, 'the provider ended the stream early');
    this.streamUsage(outcome, translator);
    if (!outcome.usage) this.estimateUsage(outcome, promptTokens);
    const cost = this.costFor(outcome, hold, images);
    await writer.data(`${prefix()}],"usage":${JSON.stringify(this.usageJson(outcome, cost, images))}}`);
    await writer.data('[DONE]');
    writer.end();
  }

  /** Adds a delta's output to the estimate and reports it as the hold's progress (what the sweeper bills if we die). */
  private countOutput(outcome: Outcome, genId: string, d: ChunkDelta): void {
    if (d.delta.content) outcome.outputChars += d.delta.content.length;
    // Excluded reasoning counts too: the provider produced it and bills it.
    if (d.delta.reasoning) outcome.outputChars += d.delta.reasoning.length;
    if (d.delta.tool_calls) for (const t of d.delta.tool_calls) outcome.outputChars += (t.function?.arguments?.length ?? 0) + (t.function?.name?.length ?? 0);
    const first = outcome.outputDeltas === 0 && Boolean(d.delta.content || d.delta.reasoning || d.delta.tool_calls);
    if (d.delta.content || d.delta.reasoning || d.delta.tool_calls) outcome.outputDeltas++;
    const tokens = estimateOutputTokens(outcome.outputChars, outcome.outputDeltas);
    const r = outcome.calling?.resolved;
    if (first && r) {
      // The first output is written at once: a process killed right after still leaves it to the sweeper.
      const context = { ...outcome.holdContext, model: r.model.id, providerSlug: r.provider.slug, providerName: r.provider.name, upstreamModel: r.endpoint.upstreamModel };
      void this.holds.started(genId, tokens, context);
    } else {
      this.holds.progress(genId, tokens);
    }
  }

  /**
   * The stream's usage as the upstream reported it. Reported before its end (Anthropic's
   * message_start, Gemini's per-chunk prompt count), only its prompt count is the bill: the
   * completion is at least the output read, and the whole is an estimate (a drain that ran out on
   * it bills the hold, never that near-zero count).
   */
  private streamUsage(outcome: Outcome, translator: StreamTranslator): void {
    const usage = translator.usage();
    if (!usage || translator.usageFinal?.() !== false) {
      outcome.usage = usage;
      return;
    }
    const completion = Math.max(usage.completion_tokens, estimateOutputTokens(outcome.outputChars, outcome.outputDeltas));
    outcome.usage = { ...usage, completion_tokens: completion, total_tokens: usage.prompt_tokens + completion };
    outcome.estimated = true;
  }

  /** A stream that already started ends with an error chunk (finish_reason "error"), never silently. */
  private async endStreamWithError(writer: SseWriter, genId: string, outcome: Outcome, format: ResponseFormat, hold: bigint, promptTokens: number, images: number): Promise<void> {
    if (writer.closed) return;
    const e = outcome.error!;
    if (!outcome.usage) this.estimateUsage(outcome, promptTokens);
    outcome.finishReason = 'error';
    const cost = this.costFor(outcome, hold, images);
    const served = outcome.served;
    const head = {
      id: genId,
      object: format === 'text' ? 'text_completion' : 'chat.completion.chunk',
      created: Math.floor(this.clock.nowMs() / 1000),
      model: served?.attempt.resolved.model.id ?? null,
      provider: served?.attempt.resolved.provider.name ?? null,
      error: toEnvelope(normaliseError(e)).error,
      choices: [format === 'text' ? { index: 0, text: '', finish_reason: 'error' } : { index: 0, delta: { content: '' }, finish_reason: 'error', native_finish_reason: null }],
      usage: this.usageJson(outcome, cost, images),
    };
    await writer.data(JSON.stringify(head));
    await writer.data('[DONE]');
    writer.end();
  }

  // ---- money -----------------------------------------------------------------------------------

  /** Usage when the upstream gave none: the prompt estimate and the text we relayed, flagged as estimated. */
  private estimateUsage(outcome: Outcome, promptTokens: number): void {
    const completion = estimateOutputTokens(outcome.outputChars, outcome.outputDeltas);
    const prompt = this.billedAttempt(outcome) ? promptTokens : 0;
    outcome.usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
    outcome.estimated = true;
  }

  /**
   * What the request costs the caller: priced usage, never above the hold, and nothing for tokens
   * when no completion tokens were produced and the request ended in an error or without a reason.
   */
  private costFor(outcome: Outcome, hold: bigint, images: number): bigint {
    const billed = this.billedAttempt(outcome);
    if (!billed || !outcome.usage) return 0n;
    // The provider kept going after the client left and the drain ran out before its bill came:
    // an outcome that unknown (hidden reasoning included) is billed the hold, never near zero.
    if (outcome.drainTimedOut && outcome.estimated) return hold;
    // A provider bills no output for a request it failed; one the client left was processed all the same.
    const noOutput = outcome.usage.completion_tokens === 0 && (outcome.finishReason === null || outcome.finishReason === 'error') && !outcome.cancelled;
    if (noOutput) return 0n;
    const cost = costOf(outcome.usage, billed.resolved.endpoint.pricing, images, this.billedTier(outcome));
    return cost < hold ? cost : hold;
  }

  /** Billed at the prices of the service tier the provider says it used (priority, flex), where the endpoint prices it apart. */
  private billedTier(outcome: Outcome): string | null {
    return outcome.served?.opened?.translator.serviceTier?.() ?? outcome.serviceTier ?? null;
  }

  /**
   * The endpoint whose output is billed: the one that served, or the one being called when the
   * request ended while it buffered output (excluded reasoning) the provider bills all the same, or
   * when the client left after the request reached it (the provider processed the prompt).
   */
  private billedAttempt(outcome: Outcome): RouteAttempt | null {
    return outcome.served?.attempt ?? (outcome.outputDeltas > 0 || (outcome.cancelled && !outcome.callingFailed) ? outcome.calling : null);
  }

  private usageJson(outcome: Outcome, cost: bigint, images: number): Record<string, unknown> {
    return { ...outcome.usage!, ...this.costJson(outcome, cost, images) };
  }

  /** The cost and its prompt / completion split, priced at the billed endpoint as costFor prices it. */
  private costJson(outcome: Outcome, cost: bigint, images: number): Record<string, unknown> {
    const billed = this.billedAttempt(outcome);
    const split = billed && outcome.usage ? costSplit(outcome.usage, billed.resolved.endpoint.pricing, images, this.billedTier(outcome)) : NOTHING_PRICED;
    return { cost: nanosToUsd(cost), is_byok: false, cost_details: costDetails(split, cost) };
  }

  /**
   * The one exit of every request: settle the hold exactly once (the actual cost, the rest
   * released), remember what served it, and record the generation.
   */
  private async finish(
    principal: KeyPrincipal,
    body: { user?: string },
    meta: RequestMeta,
    genId: string,
    requestedModel: string,
    hold: bigint,
    prompt: { tokens: number; images: number },
    outcome: Outcome,
    attempts: AttemptRecord[],
    receivedAt: number,
    streamed: boolean,
    sessionKey: string | null,
    apiType: 'completions' | 'embeddings' = 'completions',
  ): Promise<void> {
    const served = outcome.served;
    if (this.billedAttempt(outcome) && !outcome.usage && (outcome.cancelled || outcome.error)) this.estimateUsage(outcome, prompt.tokens);
    const cost = this.costFor(outcome, hold, prompt.images);
    const reason = outcome.cancelled ? 'cancelled' : outcome.error ? 'error' : 'completed';
    try {
      const billed = (served?.attempt ?? outcome.calling)?.resolved;
      await this.holds.settleReliably(genId, cost, reason, {
        userId: principal.userId,
        keyId: principal.keyId,
        appId: principal.appId,
        requestId: meta.requestId,
        apiType,
        requestedModel,
        streamed,
        createdAt: new Date(receivedAt).toISOString(),
        ...(billed ? { model: billed.model.id, providerSlug: billed.provider.slug, providerName: billed.provider.name, upstreamModel: billed.endpoint.upstreamModel } : {}),
        tokensPrompt: outcome.usage?.prompt_tokens ?? 0,
        tokensCompletion: outcome.usage?.completion_tokens ?? 0,
      });
    } catch (err) {
      // Retried and still failing: the cost is handed over, and the sweeper books it once the heartbeat is gone.
      this.log.error({ err, generation: genId, hold: hold.toString(), cost: cost.toString() }, 'settlement failed, handed over to the sweeper');
    }
    const now = this.clock.nowMs();
    if (served) {
      const r = served.attempt.resolved;
      if (!outcome.error && !outcome.cancelled) {
        this.health.recordSuccess(r, {
          latencyMs: served.headersAt - served.sentAt,
          ttftMs: outcome.firstTokenAt ? outcome.firstTokenAt - served.sentAt : undefined,
          outputTokens: outcome.usage?.completion_tokens,
          durationMs: now - served.sentAt,
        });
        if (sessionKey) await this.sticky.remember(principal.userId, r.model.id, sessionKey, r.provider.slug).catch(() => undefined);
      }
    }
    const r = (served?.attempt ?? outcome.calling)?.resolved;
    const usage = outcome.usage;
    await this.usage.record({
      id: genId,
      userId: principal.userId,
      keyId: principal.keyId,
      requestId: meta.requestId,
      apiType,
      requestedModel,
      model: r?.model.id ?? null,
      providerSlug: r?.provider.slug ?? null,
      providerName: r?.provider.name ?? null,
      upstreamModel: r?.endpoint.upstreamModel ?? null,
      streamed,
      cancelled: outcome.cancelled,
      finishReason: outcome.error && !outcome.cancelled ? 'error' : outcome.finishReason,
      nativeFinishReason: outcome.nativeFinishReason,
      tokensPrompt: usage?.prompt_tokens ?? 0,
      tokensCompletion: usage?.completion_tokens ?? 0,
      tokensCached: usage?.prompt_tokens_details?.cached_tokens ?? 0,
      tokensReasoning: usage?.completion_tokens_details?.reasoning_tokens ?? 0,
      usageEstimated: outcome.estimated,
      costNanos: cost.toString(),
      holdNanos: hold.toString(),
      latencyMs: now - receivedAt,
      ttftMs: outcome.firstTokenAt ? outcome.firstTokenAt - receivedAt : null,
      generationTimeMs: served ? now - served.headersAt : 0,
      appId: principal.appId,
      httpReferer: meta.referer?.slice(0, 500) ?? null,
      appTitle: meta.title?.slice(0, 200) ?? null,
      userAgent: meta.userAgent?.slice(0, 300) ?? null,
      externalUser: body.user ?? null,
      sessionId: sessionKey,
      errorCode: outcome.error && !outcome.cancelled ? outcome.error.status : null,
      errorMessage: outcome.error && !outcome.cancelled ? outcome.error.message.slice(0, 500) : null,
      attempts,
      createdAt: new Date(receivedAt).toISOString(),
    });
  }

  private track(p: Promise<unknown>): void {
    const tracked = p.catch((err: unknown) => this.log.error({ err }, 'finishing a request failed')).finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private toChatRequest(body: ChatCompletionDto, accountId: string): Omit<ChatRequest, 'max_tokens'> {
    // The routing fields and our own options are not for upstreams.
    const { model: _m, models: _ms, provider: _p, stream: _s, stream_options: _so, max_tokens: _mt, max_completion_tokens: _mct, session_id: _sid, n: _n, user, ...rest } =
      body as ChatCompletionDto & Record<string, unknown>;
    return (user ? { ...rest, user: upstreamUser(accountId, user) } : rest) as Omit<ChatRequest, 'max_tokens'>;
  }

  /** Time the gateway itself spent on a request: everything but waiting for the upstream. */
  private overhead(receivedAt: number, served: Served | null): string {
    const now = this.clock.nowMs();
    const upstream = served ? now - served.sentAt : 0;
    return String(Math.max(0, now - receivedAt - upstream));
  }
}
