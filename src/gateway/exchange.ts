import type { ServerResponse } from 'node:http';
import type { ResolvedEndpoint } from '../catalog/catalog.types';
import type { Clock } from '../common/clock/clock';
import { randomIdBytes } from '../common/crypto/tokens';
import { AppError } from '../common/errors/app-error';
import { ServerTiming } from '../common/http/server-timing';
import type { HoldContext } from '../credits/holds.service';
import type { KeyPrincipal } from '../keys/principal';
import type { ChatRequest, FinishReason, ProviderAdapter, Usage } from '../providers/types';
import type { UpstreamResponse } from '../providers/upstream-client';
import type { RouteAttempt } from '../routing/plan-route';
import type { Route } from '../routing/router.service';
import type { AttemptRecord } from '../usage/entities/generation.entity';
import { bill, Bill, sumBills } from './bill';
import { GatewayErrors } from './gateway.errors';
import type { JsonShape } from './response-healing';
import type { Sizing } from './sizing';
import type { ResponseShape } from './response-shape';
import { OutputTally, type UpstreamStream } from './upstream-stream';

/** Facts about the HTTP request the gateway needs, taken from headers by the controller. */
export interface RequestMeta {
  requestId: string;
  referer: string | null;
  title: string | null;
  userAgent: string | null;
  sessionHeader: string | null;
}

/**
 * Chat completions answer as chat; the legacy /completions endpoint reshapes the same result as
 * text; other wire APIs (Responses, ...) bring their own shape.
 */
export type ResponseFormat = 'chat' | 'text' | ResponseShape;

export type ApiType = 'completions' | 'embeddings';

/** The endpoint that answered 2xx. */
export interface Served {
  attempt: RouteAttempt;
  index: number;
  res: UpstreamResponse;
  adapter: ProviderAdapter;
  sentAt: number;
  headersAt: number;
  /** For a stream: read up to its first output, nothing of it sent yet. */
  stream?: UpstreamStream;
}

/** How the request went, filled in by the stages as it goes. */
export interface Outcome {
  served: Served | null;
  /** The endpoint called while none has served yet: a client leaving meanwhile leaves the record naming it. */
  calling: RouteAttempt | null;
  /** The usage the provider reported, once it did. */
  usage: Usage | null;
  /** False when that usage is only what the provider reported before its end (its completion count is not the bill). */
  usageFinal: boolean;
  /** The output read from the endpoint being billed, excluded reasoning included (it is billed too). */
  tally: OutputTally;
  /** The service tier a non-streaming answer says served it (a stream's translator tells its own). */
  serviceTier: string | null;
  finishReason: FinishReason | null;
  nativeFinishReason: string | null;
  cancelled: boolean;
  error: AppError | null;
  firstTokenAt: number | null;
  /** The client went away; the provider's answer is still read (drained) to learn its bill. */
  clientLeft: boolean;
  /** The drain ran out before the provider's answer ended. */
  drainTimedOut: boolean;
  /** The endpoint being called failed by itself after the client left: named in the record, not billed. */
  callingFailed: boolean;
}

/** A chat request as every endpoint gets it, before its own parameters and max_tokens. */
export interface UpstreamChat {
  request: Omit<ChatRequest, 'max_tokens'>;
  /** reasoning.exclude: reasoning is no output the client sees (Gemini leaves it out itself; others send it). */
  excludeReasoning: boolean;
  /** provider.allow_continuation as the client sent it (undefined: STREAM_CONTINUATION decides). */
  allowContinuation?: boolean;
}

/** How exchanges are timed: Server-Timing on or off, the time before the handler, the drain after the client left. */
export interface ExchangeOptions {
  serverTiming: boolean;
  beforeMs: number;
  drainMs: number;
}

/** What the exchange is made from: who asks, for what, and how the answer is shaped. */
export interface ExchangeInit {
  principal: KeyPrincipal;
  meta: RequestMeta;
  apiType: ApiType;
  format: ResponseFormat;
  streamed: boolean;
  /** [model, ...models] as the client sent them. */
  models: string[];
  /** The prompt estimate (deliberately high) and its images. */
  prompt: { tokens: number; images: number };
  /** The client's `user`, for the record. */
  user: string | null;
  /** What chat endpoints are sent (null for embeddings). */
  chat: UpstreamChat | null;
  /** The response-healing plugin: the JSON shape a non-streaming answer's content is repaired to; absent or null for none. */
  healJson?: JsonShape | null;
}

/** A segment's bill as its attempt record shows it. */
const segmentRecord = (b: Bill): AttemptRecord['billed'] => ({
  prompt_tokens: b.usage?.prompt_tokens ?? 0,
  completion_tokens: b.usage?.completion_tokens ?? 0,
  cost_nanos: b.cost.toString(),
  estimated: b.estimated,
});

/** The part of the outcome that belongs to one segment, as a segment starts. */
const freshSegment = (): Pick<
  Outcome,
  'served' | 'calling' | 'usage' | 'usageFinal' | 'tally' | 'serviceTier' | 'finishReason' | 'nativeFinishReason'
> => ({
  served: null,
  calling: null,
  usage: null,
  usageFinal: true,
  tally: new OutputTally(),
  serviceTier: null,
  finishReason: null,
  nativeFinishReason: null,
});

const newGenerationId = () => `gen-${randomIdBytes(15).replace(/[-_]/g, 'x')}`;

/**
 * One request's state, created once when it arrives and passed through the pipeline: admission
 * sizes it, the router plans it, the caller and the relay fill in its outcome, and the finisher
 * settles its bill (computed once, by `bill`) and records it.
 */
export class Exchange {
  readonly id = newGenerationId();
  readonly receivedAt: number;
  readonly timing: ServerTiming | null;
  private readonly drainMs: number;
  /** Aborts the upstream call: not when the client leaves, but when the drain after that runs out. */
  readonly abort = new AbortController();
  /** Every upstream call made, in order, for the record. */
  readonly attempts: AttemptRecord[] = [];
  readonly outcome: Outcome = {
    ...freshSegment(),
    cancelled: false,
    error: null,
    firstTokenAt: null,
    clientLeft: false,
    drainTimedOut: false,
    callingFailed: false,
  };
  /** Set by the router before anything reads it. */
  route!: Route;
  /** Set by admission: what each endpoint may generate and what is held. */
  sizing!: Sizing;
  /** The one bill, once the request's cost is known; what the client is shown is what is settled. */
  bill: Bill | null = null;
  /**
   * A stream continued on another endpoint after a cut: the bills of its earlier segments, each
   * for what its endpoint produced. The outcome is the current segment's.
   */
  readonly segments: Bill[] = [];
  /** The current segment's prompt estimate: a continuation's includes its prefill. */
  private segmentPrompt: number | null = null;

  /**
   * Where the output read goes as the hold's progress (what the sweeper bills if this process
   * dies): `tokens` so far, `first` at the first output. Set by admission once the hold is taken.
   */
  holdProgress: (tokens: number, first: boolean) => void = () => undefined;
  /** An error of ours (not an AppError) that failed the request, logged when it is finished. */
  fault: unknown = null;

  constructor(
    readonly init: ExchangeInit,
    private readonly clock: Clock,
    options: ExchangeOptions,
  ) {
    this.receivedAt = clock.nowMs();
    this.timing = options.serverTiming ? new ServerTiming(clock, options.beforeMs) : null;
    this.drainMs = options.drainMs;
  }

  now(): number {
    return this.clock.nowMs();
  }

  get principal(): KeyPrincipal {
    return this.init.principal;
  }

  get requestedModel(): string {
    return this.init.models[0];
  }

  /**
   * The request's one bill, computed the first time it is asked for: by the answer that shows it
   * to the client (`shown`), or else by the finisher. Settled and recorded as it was shown.
   */
  billed(shown: boolean): Bill {
    if (this.bill) return this.bill;
    const current = this.segmentBill(shown);
    if (!this.segments.length) return (this.bill = current);
    const record = [...this.attempts].reverse().find((a) => a.continued_at !== undefined);
    if (record) record.billed = segmentRecord(current);
    return (this.bill = sumBills([...this.segments, current]));
  }

  /** The current segment's bill, within what the earlier segments left of the hold. */
  segmentBill(shown: boolean): Bill {
    const o = this.outcome;
    const spent = this.segments.reduce((sum, b) => sum + b.cost, 0n);
    return bill({
      hold: this.sizing.hold - spent,
      promptTokens: this.segmentPrompt ?? this.init.prompt.tokens,
      images: this.init.prompt.images,
      served: o.served?.attempt ?? null,
      calling: o.calling,
      reported: o.usage,
      reportedFinal: o.usageFinal,
      output: o.tally,
      finishReason: o.finishReason,
      cancelled: o.cancelled,
      callingFailed: o.callingFailed,
      drainTimedOut: o.drainTimedOut,
      serviceTier: o.served?.stream?.translator.serviceTier?.() ?? o.serviceTier ?? null,
      shown,
    });
  }

  /**
   * Closes the current segment with `closing` (its bill) and starts the next one, whose prompt
   * estimate is `promptTokens`: the outcome is the new segment's from here on.
   */
  nextSegment(closing: Bill, promptTokens: number, record: AttemptRecord | undefined): void {
    if (record) record.billed = segmentRecord(closing);
    this.segments.push(closing);
    this.segmentPrompt = promptTokens;
    Object.assign(this.outcome, freshSegment());
  }

  /**
   * Follows the client: when it leaves, the provider's answer is still read (relaying nothing) until
   * its usage is known or the drain timeout runs out, since the provider bills the request whether or not
   * the client stays. `client.gone`: it left before anything listened for it (while the request
   * waited for its key, a rate limit, the hold), so no provider call is started for it.
   * `client.cut()`: the gateway itself closed the connection (a client that stopped reading), and
   * the provider's work ends at once: what was read from it is billed, not drained. The function
   * to stop following.
   */
  followClient(raw: ServerResponse, client: { gone: boolean; cut?: () => boolean }): () => void {
    let drain: NodeJS.Timeout | undefined;
    const onClose = () => {
      if (raw.writableFinished || this.outcome.clientLeft) return;
      this.outcome.clientLeft = true;
      if (client.cut?.()) {
        this.abort.abort();
        return;
      }
      drain = setTimeout(() => {
        this.outcome.drainTimedOut = true;
        this.abort.abort();
      }, this.drainMs);
    };
    raw.on('close', onClose);
    if (client.gone) onClose();
    return () => {
      raw.off('close', onClose);
      clearTimeout(drain);
    };
  }

  /**
   * The request failed with `err`: its error (anything not ours is an internal error, kept to be
   * logged); it counts as cancelled if the client left.
   */
  fail(err: unknown): AppError {
    const o = this.outcome;
    o.error = err instanceof AppError ? err : GatewayErrors.internal();
    if (!(err instanceof AppError)) this.fault = err;
    o.cancelled ||= this.abort.signal.aborted || o.clientLeft;
    return o.error;
  }

  /** Time the gateway itself spent on the request so far: everything but waiting for the upstream. */
  overheadMs(): number {
    const now = this.clock.nowMs();
    const served = this.outcome.served;
    return Math.max(0, now - this.receivedAt - (served ? now - served.sentAt : 0));
  }
}

/**
 * What the sweeper needs to record the request should this process die before its settlement
 * does (HoldsService.started, settleReliably): who asked, for what, and the endpoint billed.
 */
export function holdContext(
  ex: Exchange,
  r: ResolvedEndpoint | undefined,
  tokens: { tokensPrompt: number; tokensCompletion?: number },
): HoldContext {
  const { principal, meta } = ex.init;
  return {
    userId: principal.userId,
    keyId: principal.keyId,
    appId: principal.appId,
    requestId: meta.requestId,
    apiType: ex.init.apiType,
    requestedModel: ex.requestedModel,
    streamed: ex.init.streamed,
    createdAt: new Date(ex.receivedAt).toISOString(),
    ...(r
      ? { model: r.model.id, providerSlug: r.provider.slug, providerName: r.provider.name, upstreamModel: r.endpoint.upstreamModel }
      : {}),
    ...tokens,
  };
}
