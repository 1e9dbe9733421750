import { CanActivate, createParamDecorator, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { SessionPrincipal, SessionsService } from './sessions.service';
import { UsersErrors } from './users.errors';

type WithSession = FastifyRequest & { session?: SessionPrincipal };

/** Requires a signed-in browser session (cookie `sy_session`). */
@Injectable()
export class SessionGuard implements CanActivate {
  constructor(private readonly sessions: SessionsService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<WithSession>();
    const session = await this.sessions.resolve(req.headers.cookie);
    if (!session) throw UsersErrors.notSignedIn();
    req.session = session;
    return true;
  }
}

export const CurrentSession = createParamDecorator((_: unknown, ctx: ExecutionContext): SessionPrincipal => {
  const session = ctx.switchToHttp().getRequest<WithSession>().session;
  if (!session) throw UsersErrors.notSignedIn();
  return session;
});
