import { ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { Clock } from '../common/clock/clock';
import { AppConfig } from '../common/config/app-config';
import { rateLimitError } from '../common/errors/rate-limit-error';
import { RateLimiter } from '../common/redis/rate-limiter';
import { KeysErrors } from './keys.errors';
import { KeyPrincipal } from './principal';

/**
 * Authenticates an API key (any kind) and applies the per-key requests-per-minute limit. While Redis
 * is unreachable the limit is not enforced: it protects capacity, not money, which Postgres guards.
 */
@Injectable()
export class ApiKeyGuard extends AuthGuard('api-key') {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    await super.canActivate(context);
    const principal = context.switchToHttp().getRequest<{ user: KeyPrincipal }>().user;
    this.checkKind(principal);
    const rpm = this.config.rateLimits.keyRpm;
    if (rpm > 0) {
      const d = await this.limiter.hit([{ name: 'requests-per-minute', subject: principal.keyId, max: rpm, windowMs: 60_000 }]);
      if (d.allowed === false) {
        throw rateLimitError(d.blockedBy, this.clock.nowMs(), `Rate limit exceeded: ${rpm} requests per minute for this key`);
      }
    }
    return true;
  }

  /** Passport hands us its error or the principal; ours are typed AppErrors already. */
  override handleRequest<T>(err: unknown, user: T): T {
    if (err) throw err;
    if (!user) throw KeysErrors.invalidKey();
    return user;
  }

  protected checkKind(_principal: KeyPrincipal): void {}
}

/** For inference endpoints: management keys are refused. */
@Injectable()
export class InferenceKeyGuard extends ApiKeyGuard {
  protected override checkKind(principal: KeyPrincipal): void {
    if (principal.isManagement) throw KeysErrors.managementKeyNotForInference();
  }
}
