import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Observable, finalize } from 'rxjs';
import { AppConfig } from '../common/config/app-config';
import { AppError } from '../common/errors/app-error';
import { KeyPrincipal } from '../keys/principal';

const RETRY_AFTER_SECONDS = 1;

/**
 * Bounds how many inference requests one key and one user have in flight (KEY_/USER_MAX_CONCURRENT_REQUESTS),
 * so one account cannot hold every connection, hold and upstream slot (slow or paused streams
 * included). Counted per process, in memory: it needs no Redis or Postgres round trip on the hot
 * path and keeps working while either is down; with N processes behind a balancer an account can
 * have up to N times the limit in flight, which still bounds it. Money is bounded by holds, not by this.
 */
@Injectable()
export class InFlightLimits implements NestInterceptor {
  private readonly perKey = new Map<string, number>();
  private readonly perUser = new Map<string, number>();

  constructor(private readonly config: AppConfig) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const principal = context.switchToHttp().getRequest<{ user?: KeyPrincipal }>().user;
    if (!principal) return next.handle();
    const { keyConcurrent, userConcurrent } = this.config.rateLimits;
    if (keyConcurrent > 0 && (this.perKey.get(principal.keyId) ?? 0) >= keyConcurrent) throw tooMany('key', keyConcurrent);
    if (userConcurrent > 0 && (this.perUser.get(principal.userId) ?? 0) >= userConcurrent) throw tooMany('user', userConcurrent);
    bump(this.perKey, principal.keyId, 1);
    bump(this.perUser, principal.userId, 1);
    let released = false;
    return next.handle().pipe(
      finalize(() => {
        if (released) return;
        released = true;
        bump(this.perKey, principal.keyId, -1);
        bump(this.perUser, principal.userId, -1);
      }),
    );
  }
}

function bump(counts: Map<string, number>, id: string, by: number): void {
  const n = (counts.get(id) ?? 0) + by;
  if (n > 0) counts.set(id, n);
  else counts.delete(id);
}

function tooMany(scope: 'key' | 'user', max: number): AppError {
  return new AppError(
    'rate_limit_exceeded',
    `Too many concurrent requests: at most ${max} in flight per ${scope === 'key' ? 'API key' : 'account'}`,
    { limit_source: `concurrent-requests-per-${scope}` },
    { 'retry-after': String(RETRY_AFTER_SECONDS) },
  );
}
