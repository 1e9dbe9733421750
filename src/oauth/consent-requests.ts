import { Injectable } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { Clock } from '../common/clock/clock';
import { randomToken, sha256Hex } from '../common/crypto/tokens';
import type { LimitReset } from '../keys/periods';
import { SessionPrincipal } from '../users/sessions.service';
import { newClientId } from './apps.service';
import { ValidRequest } from './authorize-outcome';
import { OAuthAuthorizationRequestEntity } from './entities/authorization-request.entity';
import { OAuthAppEntity } from './entities/oauth-app.entity';
import { OAuthRepository } from './oauth.repository';
import { OAuthSettings } from './oauth-settings';
import { PKCE_METHOD } from './pkce';

/** A stored request with the app it is for and the token its consent form carries. */
export interface OpenedRequest {
  request: OAuthAuthorizationRequestEntity;
  app: OAuthAppEntity;
  csrf: string;
}

/** A consent form being answered: its pending request (with the app) and when the answer came. */
export interface Answer {
  request: OAuthAuthorizationRequestEntity & { app: OAuthAppEntity };
  at: Date;
}

/**
 * The requests behind consent pages: stored when a page is shown (for `requestTtlSeconds`), found
 * again only by the session that saw the page and with the form token it carried, answered once,
 * and turned into a code (for `codeTtlSeconds`) when approved.
 */
@Injectable()
export class ConsentRequests {
  constructor(
    private readonly repo: OAuthRepository,
    private readonly clock: Clock,
    private readonly settings: OAuthSettings,
  ) {}

  /** Stores a checked request for the signed-in user (an `/auth` callback origin becomes its app here). */
  async open(checked: ValidRequest, session: SessionPrincipal): Promise<OpenedRequest> {
    const app = 'id' in checked.app ? checked.app : await this.repo.findOrCreateOriginApp(checked.app.origin, newClientId());
    const csrf = randomToken();
    const request = await this.repo.insertRequest({
      csrfHash: sha256Hex(csrf),
      sessionId: session.sessionId,
      userId: session.userId,
      appId: app.id,
      flow: checked.flow,
      redirectUri: checked.redirectUri,
      state: checked.state ?? null,
      codeChallenge: checked.codeChallenge,
      scope: checked.scope,
      keyLabel: checked.keyLabel,
      requestedLimitNanos: checked.requestedLimitNanos,
      expiresAt: new Date(this.clock.nowMs() + this.settings.requestTtlSeconds * 1000),
    });
    return { request, app, csrf };
  }

  /** The session's pending request with this id: 'expired' when there is none, 'refused' when the form token is not its. */
  async answer(requestId: string, csrf: string, session: SessionPrincipal): Promise<Answer | 'expired' | 'refused'> {
    const at = this.clock.now();
    const request = await this.repo.findPendingRequest(requestId, session.sessionId, at);
    if (!request || !request.app) return 'expired';
    if (!timingSafeEqual(Buffer.from(sha256Hex(csrf), 'ascii'), Buffer.from(request.csrfHash, 'ascii'))) return 'refused';
    return { request: request as Answer['request'], at };
  }

  /**
   * Whether the answer came sooner after the page was shown than a person reads it: a click aimed
   * at something else (a popup that opened under the cursor, a double click).
   */
  tooQuick(a: Answer): boolean {
    const shownAt = a.request.expiresAt.getTime() - this.settings.requestTtlSeconds * 1000;
    return a.at.getTime() - shownAt < this.settings.consentDelayMs;
  }

  /** Records that the request was answered; false when it was answered (or expired) meanwhile. */
  close(a: Answer): Promise<boolean> {
    return this.repo.markDecided(a.request.id, a.at);
  }

  /** The code an approval sends back to the app, bound to everything the user agreed to. */
  async issueCode(a: Answer, limitNanos: bigint | null, limitReset: LimitReset | null): Promise<string> {
    const { request } = a;
    const code = randomToken(32);
    await this.repo.insertCode({
      codeHash: sha256Hex(code),
      appId: request.appId,
      userId: request.userId,
      flow: request.flow,
      redirectUri: request.redirectUri,
      codeChallenge: request.codeChallenge,
      codeChallengeMethod: PKCE_METHOD,
      scope: request.scope,
      keyName: request.keyLabel ?? request.app.name,
      limitNanos,
      limitReset,
      expiresAt: new Date(a.at.getTime() + this.settings.codeTtlSeconds * 1000),
    });
    return code;
  }
}
