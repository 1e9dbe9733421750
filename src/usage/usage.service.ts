import { InjectQueue } from '@nestjs/bull';
import { Injectable, Optional } from '@nestjs/common';
import type { Queue } from 'bull';
import { Batcher } from '../common/batching/batcher';
import { AppError } from '../common/errors/app-error';
import { AppLogger } from '../common/logging/app-logger';
import { nanosToUsd } from '../common/money/money';
import { QueueName } from '../common/queue/queue-names';
import { AppPublicIds } from './app-public-ids';
import { GenerationDto } from './dto/generation.dto';
import { GenerationRecord, logRefused } from './generation-record';
import { GenerationsRepository } from './generations.repository';
import { GenerationEntity } from './entities/generation.entity';
import { KeysService } from '../keys/keys.service';
import { ActivityItemDto } from './dto/activity.dto';
import { GenerationFilter, RollupFilter, GenerationLine, GenerationPosition, SeriesGroup, SeriesPoint, SeriesUnit } from './usage-queries';

const ENQUEUE_TIMEOUT_MS = 1000;
/** Most records per batch (one multi-row insert). */
const MAX_BATCH = 200;
/**
 * How long the first record waits for company: a batch costs one insert, one transaction and one
 * WAL flush whatever its size.
 */
const LINGER_MS = 20;

/** A queue job of the generations queue: records written together. */
export interface GenerationBatch {
  records: GenerationRecord[];
}

const DAY_MS = 86_400_000;
const GEN_ID = /^gen-[A-Za-z0-9]{1,36}$/;
const AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

const encodePosition = (p: GenerationPosition) => Buffer.from(`${p.at}|${p.id}`).toString('base64url');

/** A cursor this service did not issue is a 400, never a silent first page. */
function decodePosition(cursor: string): GenerationPosition {
  const [at, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (rest.length > 0 || !AT.test(at ?? '') || !GEN_ID.test(id ?? '')) {
    throw new AppError('validation_failed', 'Invalid request: before must be a cursor from a previous page', {
      fields: [{ field: 'before', messages: ['not a cursor from a previous page'] }],
    });
  }
  return { at, id };
}

@Injectable()
export class UsageService {
  private readonly log: AppLogger;
  private readonly batches = new Batcher<GenerationRecord, void>((records) => this.write(records), LINGER_MS, MAX_BATCH);

  constructor(
    @InjectQueue(QueueName.Generations) private readonly queue: Queue<GenerationBatch>,
    private readonly repo: GenerationsRepository,
    private readonly keys: KeysService,
    logger: AppLogger,
    @Optional() private readonly appIds?: AppPublicIds,
  ) {
    this.log = logger.child({ component: 'usage' });
  }

  /**
   * Records a finished request, off the request path, resolving once the record is safe: committed
   * in Postgres, or, when Postgres does not take it, queued in Redis (the worker writes it later,
   * retrying). Records finishing within LINGER_MS of each other, or while the previous batch is being
   * written, share one insert. Written straight to Postgres rather than through the queue: a queue
   * job cost about 25 Redis commands and a worker's turn on top of the same insert. A record is
   * never dropped while either store takes it; shutdown waits for these promises, so only a killed
   * process loses records, those of the last LINGER_MS (as it loses the requests it was serving).
   */
  record(r: GenerationRecord): Promise<void> {
    return this.batches.add(r);
  }

  private async write(records: GenerationRecord[]): Promise<void[]> {
    const generations = () => records.map((r) => r.id);
    try {
      logRefused(this.log, records, (await this.repo.insert(records)).refused);
      return records.map(() => undefined);
    } catch (err) {
      this.log.warn(
        { err: (err as Error).message, generations: generations() },
        'generation records queued: the database did not take them',
      );
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.queue.add(
          { records },
          { jobId: `batch:${records[0].id}`, removeOnComplete: true, attempts: 10, backoff: { type: 'exponential', delay: 500 } },
        ),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('queue did not accept the job in time')), ENQUEUE_TIMEOUT_MS);
        }),
      ]);
    } catch (err) {
      this.log.error({ err: (err as Error).message, generations: generations() }, 'generation records lost');
    } finally {
      clearTimeout(timer);
    }
    return records.map(() => undefined);
  }

  /** The user's generations, newest first, a page at a time (`next` continues after this page). */
  async list(filter: GenerationFilter, limit: number, before?: string): Promise<{ lines: GenerationLine[]; next: string | null }> {
    const rows = await this.repo.list(filter, limit + 1, before ? decodePosition(before) : null);
    const page = rows.slice(0, limit);
    return { lines: page.map((r) => r.line), next: rows.length > limit ? encodePosition(page[page.length - 1].position) : null };
  }

  /**
   * When each of the user's keys last made a request, by key id (absent: never). Read from the
   * generation records, so a request shows once its record is written (shortly after it ends).
   */
  lastUsedByKey(userId: string): Promise<Map<string, Date>> {
    return this.repo.lastUsedByKey(userId);
  }

  series(filter: RollupFilter, unit: SeriesUnit, group: SeriesGroup): Promise<SeriesPoint[]> {
    return this.repo.series(filter, unit, group);
  }

  /**
   * OpenRouter's activity: the last 30 completed UTC days (or one of them), per day, model and
   * endpoint. A key hash that is not one of the user's keys matches nothing.
   */
  async activity(userId: string, q: { date?: string; keyHash?: string }, now: Date): Promise<ActivityItemDto[]> {
    const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    let from = new Date(today - 30 * DAY_MS);
    let to = new Date(today);
    if (q.date !== undefined) {
      const day = Date.parse(`${q.date}T00:00:00Z`);
      if (!Number.isFinite(day) || day < from.getTime() || day >= to.getTime()) {
        throw new AppError('validation_failed', 'Invalid request: date must be one of the last 30 completed UTC days', {
          fields: [{ field: 'date', messages: ['date must be one of the last 30 completed UTC days'] }],
        });
      }
      from = new Date(day);
      to = new Date(day + DAY_MS);
    }
    let keyId: string | undefined;
    if (q.keyHash !== undefined) {
      const id = await this.keys.idOfHash(userId, q.keyHash);
      if (!id) return [];
      keyId = id;
    }
    const rows = await this.repo.activity({ userId, keyId, from, to });
    return rows.map((r) => ({
      date: r.date,
      model: r.model,
      model_permaslug: r.model,
      endpoint_id: r.providerSlug ? `${r.providerSlug}/${r.model}` : r.model,
      provider_name: r.providerName,
      usage: nanosToUsd(r.costNanos),
      byok_usage_inference: 0,
      requests: r.requests,
      prompt_tokens: r.promptTokens,
      completion_tokens: r.completionTokens,
      reasoning_tokens: r.reasoningTokens,
    }));
  }

  /** A generation of the user; with a keyId, only one made with that key. */
  async get(id: string, owner: { userId: string; keyId: string | null }): Promise<GenerationDto> {
    return (await this.detail(id, owner)).generation;
  }

  /**
   * The generation as GET /generation shows it, the amount held for it before the call (USD), and
   * the app's own id (the generation shows the app's integer id).
   */
  async detail(
    id: string,
    owner: { userId: string; keyId: string | null },
  ): Promise<{ generation: GenerationDto; held: number; appId: string | null }> {
    const g = GEN_ID.test(id) ? await this.repo.findOwned(id, owner) : null;
    if (!g) throw new AppError('not_found', `Generation ${id.slice(0, 60)} not found (records appear shortly after a request ends)`);
    const appPublicId = g.appId && this.appIds ? await this.appIds.publicIdOf(g.appId) : null;
    return { generation: this.toDto(g, appPublicId), held: nanosToUsd(g.holdNanos), appId: g.appId };
  }

  private toDto(g: GenerationEntity, appPublicId: number | null): GenerationDto {
    return {
      id: g.id,
      upstream_id: null,
      request_id: g.requestId,
      session_id: g.sessionId,
      created_at: g.createdAt.toISOString(),
      model: g.model ?? g.requestedModel,
      requested_model: g.requestedModel,
      provider_name: g.providerName,
      app_id: appPublicId,
      http_referer: g.httpReferer,
      app_title: g.appTitle,
      user_agent: g.userAgent,
      external_user: g.externalUser,
      api_type: g.apiType,
      streamed: g.streamed,
      cancelled: g.cancelled,
      finish_reason: g.finishReason,
      native_finish_reason: g.nativeFinishReason,
      latency: g.latencyMs,
      generation_time: g.generationTimeMs,
      moderation_latency: null,
      time_to_first_token: g.ttftMs,
      tokens_prompt: g.tokensPrompt,
      tokens_completion: g.tokensCompletion,
      native_tokens_prompt: g.tokensPrompt,
      native_tokens_completion: g.tokensCompletion,
      native_tokens_reasoning: g.tokensReasoning,
      native_tokens_cached: g.tokensCached,
      usage_estimated: g.usageEstimated,
      total_cost: nanosToUsd(g.costNanos),
      usage: nanosToUsd(g.costNanos),
      upstream_inference_cost: null,
      cache_discount: null,
      is_byok: false,
      error: g.errorCode ? { code: g.errorCode, message: g.errorMessage } : null,
      provider_responses: g.attempts,
      origin: originOf(g.httpReferer),
      data_region: 'global',
      router: null,
      preset_id: null,
      response_cache_source_id: null,
      workspace_id: g.userId,
      service_tier: null,
      web_search_engine: null,
      num_search_results: 0,
      num_fetches: 0,
      num_media_prompt: null,
      num_media_completion: null,
      num_input_audio_prompt: null,
      native_tokens_completion_images: null,
    };
  }
}

/** `https://app.example` for `https://app.example/page?q=1`; "" for no referer or one that is not a URL. */
export function originOf(referer: string | null): string {
  if (!referer) return '';
  try {
    const origin = new URL(referer).origin;
    return origin === 'null' ? '' : origin;
  } catch {
    return '';
  }
}
