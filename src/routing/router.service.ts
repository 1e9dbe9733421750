import { Injectable } from '@nestjs/common';
import { CatalogService } from '../catalog/catalog.service';
import { Clock } from '../common/clock/clock';
import { EndpointHealthService, FailureKind, SuccessSample } from './endpoint-health.service';
import { parseModelSlug, planRoute, RouteAttempt, RouteInput } from './plan-route';
import { sessionKeyFrom, StickySessionsService } from './sticky-sessions.service';

/** What routing needs of a request: the planning input, and where a conversation names itself. */
export interface RouteRequest extends Omit<RouteInput, 'sticky'> {
  /** The body's `session_id` / `prompt_cache_key` and the `x-session-id` header (sticky routing). */
  session?: { body: { session_id?: unknown; prompt_cache_key?: unknown }; header: string | null };
}

/** The conversation a request belongs to, for sticky routing. */
export interface RouteSession {
  userId: string;
  key: string;
}

/** The endpoints to try, in order, and the conversation to remember the one that serves for. */
export interface Route {
  attempts: RouteAttempt[];
  session: RouteSession | null;
}

/**
 * How an attempt went: a transport failure, an HTTP error status (429 and 5xx count against the
 * endpoint, a client error does not), or served (its timings, and the conversation to stick to).
 */
export type AttemptResult = { failure: FailureKind } | { status: number } | { served: SuccessSample; session: RouteSession | null };

/**
 * Routing's face to the gateway: `plan` (session key, sticky lookup, planning with health, the
 * clock and randomness) and `report` (failures and successes into the health statistics, the
 * serving endpoint remembered for the conversation). The selection itself is the pure `planRoute`.
 */
@Injectable()
export class RouterService {
  constructor(
    private readonly catalog: CatalogService,
    private readonly health: EndpointHealthService,
    private readonly sticky: StickySessionsService,
    private readonly clock: Clock,
  ) {}

  /** The route for a request; throws the planner's error (400 for a bad model list, 404, ...). */
  async plan(request: RouteRequest, principal: { userId: string }): Promise<Route> {
    const { session: source, ...input } = request;
    const key = source ? sessionKeyFrom(source.body, { 'x-session-id': source.header ?? undefined }) : null;
    const session = key ? { userId: principal.userId, key } : null;
    const sticky = session ? await this.sticky.get(session.userId, parseModelSlug(input.models[0]).modelId, session.key) : null;
    const plan = planRoute(
      { ...input, ...(source ? { sticky } : {}) },
      this.catalog,
      (e) => this.health.health(e),
      this.clock.nowMs(),
      Math.random,
    );
    if (!plan.ok) throw plan.error;
    return { attempts: plan.attempts, session };
  }

  /** A served attempt's stickiness is remembered before this resolves; Redis errors are never thrown. */
  async report(attempt: RouteAttempt, result: AttemptResult): Promise<void> {
    const r = attempt.resolved;
    if ('failure' in result) this.health.recordFailure(r, result.failure);
    else if ('status' in result) {
      if (result.status === 429) this.health.recordFailure(r, 'rate_limited');
      else if (result.status >= 500) this.health.recordFailure(r, 'server_error');
    } else {
      this.health.recordSuccess(r, result.served);
      if (result.session)
        await this.sticky.remember(result.session.userId, r.model.id, result.session.key, r.provider.slug).catch(() => undefined);
    }
  }
}
