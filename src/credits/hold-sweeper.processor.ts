import { InjectQueue, Process, Processor } from '@nestjs/bull';
import { OnApplicationBootstrap } from '@nestjs/common';
import type { Queue } from 'bull';
import { AppConfig } from '../common/config/app-config';
import { AppLogger } from '../common/logging/app-logger';
import { QueueName } from '../common/queue/queue-names';
import { scheduleRepeatable } from '../common/queue/repeatable';
import type { GenerationRecord } from '../usage/generation-record';
import { UsageService } from '../usage/usage.service';
import { HoldsService, SweptHold } from './holds.service';

export const SWEEP_HOLDS_JOB = 'sweep-holds';

/** The fields of a generation record the gateway hands over at a request's first output. */
type SweptContext = Partial<
  Pick<
    GenerationRecord,
    | 'tokensPrompt'
    | 'tokensCompletion'
    | 'requestId'
    | 'apiType'
    | 'requestedModel'
    | 'model'
    | 'providerSlug'
    | 'providerName'
    | 'upstreamModel'
    | 'streamed'
    | 'userId'
    | 'keyId'
    | 'appId'
    | 'createdAt'
  >
>;

/**
 * The record of a request the sweeper settled: every billed request has one. Its tokens are the
 * sweeper's (the output reported relayed), flagged as estimated unless its process handed over
 * the exact cost.
 */
export function sweptRecord(s: SweptHold, now: Date): GenerationRecord | null {
  const c = (s.context ?? {}) as SweptContext;
  if (!c.userId || !c.keyId) return null;
  const createdAt = c.createdAt ?? now.toISOString();
  return {
    id: s.id,
    userId: c.userId,
    keyId: c.keyId,
    requestId: c.requestId ?? s.id,
    apiType: c.apiType ?? 'completions',
    requestedModel: c.requestedModel ?? 'unknown',
    model: c.model ?? null,
    providerSlug: c.providerSlug ?? null,
    providerName: c.providerName ?? null,
    upstreamModel: c.upstreamModel ?? null,
    streamed: c.streamed ?? false,
    cancelled: false,
    finishReason: 'error',
    nativeFinishReason: null,
    tokensPrompt: c.tokensPrompt ?? 0,
    tokensCompletion: s.handedOver ? (c.tokensCompletion ?? s.tokens) : s.tokens,
    tokensCached: 0,
    tokensReasoning: 0,
    usageEstimated: !s.handedOver,
    costNanos: s.cost.toString(),
    holdNanos: s.amount.toString(),
    latencyMs: Math.max(0, now.getTime() - Date.parse(createdAt)),
    ttftMs: null,
    generationTimeMs: 0,
    appId: c.appId ?? null,
    httpReferer: null,
    appTitle: null,
    userAgent: null,
    externalUser: null,
    sessionId: null,
    errorCode: s.handedOver ? null : 502,
    errorMessage: s.handedOver ? null : 'The request ended with its process; billed what it had relayed',
    attempts: [],
    createdAt,
  };
}

/** A repeatable maintenance job: settle holds that a stopped process left open, and record them. */
@Processor(QueueName.Maintenance)
export class HoldSweeper implements OnApplicationBootstrap {
  constructor(
    @InjectQueue(QueueName.Maintenance) private readonly queue: Queue,
    private readonly holds: HoldsService,
    private readonly usage: UsageService,
    private readonly config: AppConfig,
    private readonly logger: AppLogger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.holds.onSwept(async (swept) => {
      const now = new Date();
      const records = swept.map((s) => sweptRecord(s, now)).filter((r): r is GenerationRecord => r !== null);
      await Promise.all(records.map((r) => this.usage.record(r)));
    });
    await scheduleRepeatable(this.queue, SWEEP_HOLDS_JOB, this.config.holds.sweepIntervalMs, this.logger);
  }

  @Process(SWEEP_HOLDS_JOB)
  async sweep(): Promise<{ swept: number }> {
    return { swept: await this.holds.sweep() };
  }
}
