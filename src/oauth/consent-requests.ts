import { Injectable } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { Clock } from '../common/clock/clock';
import { randomToken, sha256Hex } from '../common/crypto/tokens';
import type { LimitReset } from '../keys/periods';
import { SessionPrincipal } from '../users/sessions.service';
import { newClientId } from './apps.service';
import { HEADLESS_CODE_TTL_SECONDS, HEADLESS_KEY_NAME, ValidRequest } from './authorize-outcome';
import { OAuthAuthorizationRequestEntity } from './entities/authorization-request.entity';
import { OAuthAppEntity } from './entities/oauth-app.entity';
import { OAuthRepository } from './oauth.repository';
import { OAuthSettings } from './oauth-settings';
import { PKCE_METHOD } from './pkce';
import { HEADLESS_REDIRECT_URI } from './redirect-uri';

/** A request from headless mode (`/auth` without a callback URL): answered on our own page, never redirected. */
export const isHeadless = (request: { redirectUri: string }) => request.redirectUri === HEADLESS_REDIRECT_URI;

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

  /** Stores a checked request for the signed-in user (an `/auth` callback origin, or headless mode, becomes its app here). */
  async open(checked: ValidRequest, session: SessionPrincipal): Promise<OpenedRequest> {
    const app =
      checked.app === 'headless'
        ? await this.repo.findOrCreateHeadlessApp(newClientId())
        : 'id' in checked.app
          ? checked.app
          : await this.repo.findOrCreateOriginApp(checked.app.origin, newClientId());
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

  /**
   * The code an approval sends back to the app, bound to everything the user agreed to, with the
   * key's name and how long the code lives (a headless code is copied by hand: longer).
   */
  async issueCode(
    a: Answer,
    limitNanos: bigint | null,
    limitReset: LimitReset | null,
  ): Promise<{ code: string; keyName: string; ttlSeconds: number }> {
    const { request } = a;
    const headless = isHeadless(request);
    const code = randomToken(32);
    const ttlSeconds = headless ? HEADLESS_CODE_TTL_SECONDS : this.settings.codeTtlSeconds;
    const keyName = request.keyLabel ?? (headless ? HEADLESS_KEY_NAME : request.app.name);
    await this.repo.insertCode({
      codeHash: sha256Hex(code),
      appId: request.appId,
      userId: request.userId,
      flow: request.flow,
      redirectUri: request.redirectUri,
      codeChallenge: request.codeChallenge,
      codeChallengeMethod: PKCE_METHOD,
      scope: request.scope,
      keyName,
      limitNanos,
      limitReset,
      expiresAt: new Date(a.at.getTime() + ttlSeconds * 1000),
    });
    return { code, keyName, ttlSeconds };
  }
}
