import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Clock } from '../common/clock/clock';
import { AppLogger } from '../common/logging/app-logger';
import { HoldsService } from '../credits/holds.service';
import { RouterService } from '../routing/router.service';
import { UsageService } from '../usage/usage.service';
import type { Bill } from './bill';
import { Exchange, holdContext } from './exchange';

/**
 * The one exit of every admitted request: settle its bill exactly once (the actual cost, the rest of
 * the hold released), report what served it to the router, and record the generation. Runs off the
 * response's path; the app waits for the ones still running when it stops, so no hold is left behind.
 */
@Injectable()
export class RequestFinisher implements OnModuleDestroy {
  private readonly log: AppLogger;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly holds: HoldsService,
    private readonly router: RouterService,
    private readonly usage: UsageService,
    private readonly clock: Clock,
    logger: AppLogger,
  ) {
    this.log = logger.child({ component: 'gateway' });
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  /** Finishes the exchange in the background. */
  finish(ex: Exchange): void {
    const tracked = this.settleAndRecord(ex)
      .catch((err: unknown) => this.log.error({ err }, 'finishing a request failed'))
      .finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  private async settleAndRecord(ex: Exchange): Promise<void> {
    if (ex.fault)
      this.log.error({ err: ex.fault, generation: ex.id }, `${ex.init.apiType === 'embeddings' ? 'embeddings ' : ''}request failed`);
    const bill = ex.billed(false);
    const o = ex.outcome;
    const reason = o.cancelled ? 'cancelled' : o.error ? 'error' : 'completed';
    const r = (o.served?.attempt ?? o.calling)?.resolved;
    try {
      const tokens = { tokensPrompt: bill.usage?.prompt_tokens ?? 0, tokensCompletion: bill.usage?.completion_tokens ?? 0 };
      await this.holds.settleReliably(ex.id, bill.cost, reason, holdContext(ex, r, tokens));
    } catch (err) {
      // Retried and still failing: the cost is handed over, and the sweeper books it once the heartbeat is gone.
      this.log.error(
        { err, generation: ex.id, hold: ex.sizing.hold.toString(), cost: bill.cost.toString() },
        'settlement failed, handed over to the sweeper',
      );
    }
    const now = this.clock.nowMs();
    const served = o.served;
    if (served && !o.error && !o.cancelled) {
      const sample = {
        latencyMs: served.headersAt - served.sentAt,
        ttftMs: o.firstTokenAt ? o.firstTokenAt - served.sentAt : undefined,
        outputTokens: bill.usage?.completion_tokens,
        durationMs: now - served.sentAt,
      };
      await this.router.report(served.attempt, { served: sample, session: ex.route.session });
    }
    await this.record(ex, bill, now);
  }

  private record(ex: Exchange, bill: Bill, now: number): Promise<void> {
    const { principal, meta } = ex.init;
    const o = ex.outcome;
    const r = (o.served?.attempt ?? o.calling)?.resolved;
    const usage = bill.usage;
    const failed = o.error && !o.cancelled ? o.error : null;
    return this.usage.record({
      id: ex.id,
      userId: principal.userId,
      keyId: principal.keyId,
      requestId: meta.requestId,
      apiType: ex.init.apiType,
      requestedModel: ex.requestedModel,
      model: r?.model.id ?? null,
      providerSlug: r?.provider.slug ?? null,
      providerName: r?.provider.name ?? null,
      upstreamModel: r?.endpoint.upstreamModel ?? null,
      streamed: ex.init.streamed,
      cancelled: o.cancelled,
      finishReason: failed ? 'error' : o.finishReason,
      nativeFinishReason: o.nativeFinishReason,
      tokensPrompt: usage?.prompt_tokens ?? 0,
      tokensCompletion: usage?.completion_tokens ?? 0,
      tokensCached: usage?.prompt_tokens_details?.cached_tokens ?? 0,
      tokensReasoning: usage?.completion_tokens_details?.reasoning_tokens ?? 0,
      usageEstimated: bill.estimated,
      costNanos: bill.cost.toString(),
      holdNanos: ex.sizing.hold.toString(),
      latencyMs: now - ex.receivedAt,
      ttftMs: o.firstTokenAt ? o.firstTokenAt - ex.receivedAt : null,
      generationTimeMs: o.served ? now - o.served.headersAt : 0,
      appId: principal.appId,
      httpReferer: meta.referer?.slice(0, 500) ?? null,
      appTitle: meta.title?.slice(0, 200) ?? null,
      userAgent: meta.userAgent?.slice(0, 300) ?? null,
      externalUser: ex.init.user,
      sessionId: ex.route.session?.key ?? null,
      errorCode: failed ? failed.status : null,
      errorMessage: failed ? failed.message.slice(0, 500) : null,
      attempts: ex.attempts,
      createdAt: new Date(ex.receivedAt).toISOString(),
    });
  }
}
