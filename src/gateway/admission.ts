import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock/clock';
import { AppConfig } from '../common/config/app-config';
import { holdPricesFor, maxCostOf } from '../catalog/pricing';
import { AppError } from '../common/errors/app-error';
import { AppLogger } from '../common/logging/app-logger';
import { HoldsService } from '../credits/holds.service';
import { FreeModelLimits } from '../keys/free-model-limits';
import { parseModelSlug } from '../routing/plan-route';
import { Exchange, ExchangeInit, holdContext } from './exchange';
import { GatewayErrors, withTokens } from './gateway.errors';
import { embeddingHold, isPriced, promptTokensFor, sizeRequest, SizingRequest } from './sizing';

/**
 * Admission: a request is let through only against money held for it. The free tier's limits
 * first; then, on the route, the sizing (how many tokens each endpoint may generate, what to
 * hold) and the hold on the balance, the caps and the key limit. A refusal says what refused: a
 * cap is a 403 naming it, the balance OpenRouter's 402 with how many tokens it could afford.
 */
@Injectable()
export class Admission {
  private readonly log: AppLogger;

  constructor(
    private readonly holds: HoldsService,
    private readonly freeLimits: FreeModelLimits,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    logger: AppLogger,
  ) {
    this.log = logger.child({ component: 'gateway' });
  }

  /** The request as it arrives (`beforeMs`: the time it spent before the handler). */
  receive(init: ExchangeInit, beforeMs: number): Exchange {
    return new Exchange(init, this.clock, {
      serverTiming: this.config.http.serverTiming,
      beforeMs,
      drainMs: this.config.upstream.drainTimeoutMs,
    });
  }

  /** A chat request for a `:free` variant counts against the free tier's rate limits. */
  async checkFreeTier(ex: Exchange): Promise<void> {
    if (parseModelSlug(ex.requestedModel).suffix === 'free') await this.freeLimits.checkUser(ex.principal.userId);
  }

  /**
   * Sizes a chat request on its route and holds its maximum cost. Without max_tokens the request is
   * sized to what the caller can afford; with it, a hold that does not fit is refused.
   */
  async admitChat(ex: Exchange, request: Omit<SizingRequest, 'promptTokens' | 'images'>): Promise<void> {
    const { principal } = ex;
    const sizing: SizingRequest = { promptTokens: ex.init.prompt.tokens, images: ex.init.prompt.images, ...request };
    const endpoints = ex.route.attempts.map((a) => a.resolved);
    const budget = sizing.clientMax === undefined ? await this.holds.budget(principal.keyId, principal.userId, principal.limit) : null;
    const sized = sizeRequest(endpoints, sizing, budget?.room ?? null);
    if (!sized.ok) {
      // Only a budget (no max_tokens) can refuse here. A cap that limits it is a 403 naming the cap, never "more credits".
      if (budget && (budget.source !== 'balance' || budget.room === 0n)) {
        const needed = maxCostOf(sizing.promptTokens, 1, endpoints[0].endpoint.pricing, sizing.images, sizing.serviceTier);
        throw withTokens(await this.holds.exhausted(principal.userId, budget, needed), sized.requested, sized.affordable);
      }
      throw GatewayErrors.cannotAfford(sized.requested, sized.affordable);
    }
    ex.sizing = sized.sizing;
    ex.timing?.mark('route');
    await this.hold(ex, sizing);
    ex.timing?.mark('hold');
  }

  /** Holds an embeddings request's input at the dearest planned endpoint's prices. */
  async admitEmbeddings(ex: Exchange): Promise<void> {
    const { tokens } = ex.init.prompt;
    ex.sizing = {
      maxTokens: [],
      hold: embeddingHold(
        ex.route.attempts.map((a) => a.resolved),
        tokens,
      ),
    };
    ex.timing?.mark('route');
    await this.hold(ex, { promptTokens: tokens, images: 0, clientMax: undefined });
    ex.timing?.mark('hold');
  }

  /**
   * Holds the request's maximum cost on the balance, the caps and the key limit. When the client
   * chose max_tokens and the hold does not fit, the answer is OpenRouter's 402 with how many tokens
   * it could afford (or the 403 of a cap with no room left at all).
   */
  private async hold(ex: Exchange, sizing: SizingRequest): Promise<void> {
    const { principal } = ex;
    const { hold } = ex.sizing;
    const first = ex.route.attempts[0].resolved;
    // A priced endpoint on a hold of 0 would be served for nothing: a sizing bug, never a free request.
    if (hold === 0n && isPriced(first)) {
      this.log.error({ generation: ex.id, model: first.model.id }, 'refused a priced request sized at 0');
      throw GatewayErrors.internal();
    }
    const pricing = first.endpoint.pricing;
    const promptTokens = promptTokensFor(first, sizing);
    try {
      await this.holds.hold({
        id: ex.id,
        userId: principal.userId,
        keyId: principal.keyId,
        amount: hold,
        promptCost: maxCostOf(promptTokens, 0, pricing, sizing.images, sizing.serviceTier),
        // What the sweeper bills relayed output at, should this process die: the price this request pays.
        completionPrice: holdPricesFor(pricing, promptTokens, sizing.serviceTier).completion,
      });
      ex.holdProgress = (tokens, first) => this.progress(ex, tokens, first);
    } catch (err) {
      const { clientMax } = sizing;
      // A frozen account is refused as such, whatever the request's size.
      if (!(err instanceof AppError) || clientMax === undefined || (err.reason !== 'cap' && err.reason !== 'balance')) throw err;
      const budget = await this.holds.budget(principal.keyId, principal.userId, principal.limit);
      const sized = budget.room === null ? null : sizeRequest([first], sizing, budget.room);
      const affordable = !sized || sized.ok ? clientMax : sized.affordable;
      // A cap refused: it stays the 403 naming the cap (the balance may cover the request), with the tokens it allows.
      if (err.reason === 'cap') throw withTokens(err, clientMax, affordable);
      if (budget.room === null || budget.room === 0n) throw err;
      throw GatewayErrors.cannotAfford(clientMax, affordable);
    }
  }

  private progress(ex: Exchange, tokens: number, first: boolean): void {
    const r = ex.outcome.calling?.resolved;
    if (first && r) {
      // The first output is written at once: a process killed right after still leaves it to the sweeper.
      void this.holds.started(ex.id, tokens, holdContext(ex, r, { tokensPrompt: ex.init.prompt.tokens }));
    } else {
      this.holds.progress(ex.id, tokens);
    }
  }
}
