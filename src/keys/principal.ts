import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { SessionPrincipal } from '../users/sessions.service';
import type { KeyLimit } from './caps.service';

/** Who is calling: an API key (inference or management), or a signed-in browser session. */
export interface KeyPrincipal {
  kind: 'key';
  keyId: string;
  keyHash: string;
  userId: string;
  isManagement: boolean;
  limit: KeyLimit;
  /** The OAuth app the key was issued to, for attributing its requests; null for the user's own keys. */
  appId: string | null;
  /** When the key stops working; a management key cannot hand out access that outlives it. */
  expiresAt: Date | null;
}

export type Principal = KeyPrincipal | SessionPrincipal;

export const CurrentPrincipal = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Principal => ctx.switchToHttp().getRequest<{ user: Principal }>().user,
);
