import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { SessionsService } from '../users/sessions.service';
import { UsersErrors } from '../users/users.errors';
import { KeysErrors } from './keys.errors';
import { KeysService } from './keys.service';
import { Principal } from './principal';

/**
 * Account management: a management key (`Authorization: Bearer`) or a signed-in browser session.
 * An inference key is refused, so a leaked app key cannot mint or change keys.
 */
@Injectable()
export class AccountGuard implements CanActivate {
  constructor(
    private readonly keys: KeysService,
    private readonly sessions: SessionsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<FastifyRequest & { user?: Principal }>();
    if (req.headers.authorization !== undefined) {
      const principal = await this.keys.authenticate(req.headers.authorization);
      if (!principal.isManagement) throw KeysErrors.managementKeyRequired();
      req.user = principal;
      return true;
    }
    const session = await this.sessions.resolve(req.headers.cookie);
    if (!session) throw UsersErrors.notSignedIn();
    req.user = session;
    return true;
  }
}
