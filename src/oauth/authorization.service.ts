import { Injectable } from '@nestjs/common';
import { AppConfig } from '../common/config/app-config';
import { RETURN_TO_MAX_LENGTH } from '../common/html/return-to';
import { REPEATED, single } from '../common/http/form-params';
import { SessionsService } from '../users/sessions.service';
import { parseLimitReset, parseLimitUsd } from './authorization-params';
import { AuthorizationRequestCheck } from './authorization-request-check';
import { authorizationResponse, AuthorizeOutcome, page } from './authorize-outcome';
import { ConsentRequests, isHeadless } from './consent-requests';
import { ConsentViews, usd } from './consent-views';
import { OAuthFlow } from './entities/authorization-request.entity';

export type { AuthorizeOutcome } from './authorize-outcome';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CSRF_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * The authorization endpoint, for both flows: validate the request (AuthorizationRequestCheck),
 * make sure someone is signed in, show the consent page, and turn the user's decision into a code
 * or an `access_denied` redirect.
 */
@Injectable()
export class AuthorizationService {
  constructor(
    private readonly requestCheck: AuthorizationRequestCheck,
    private readonly sessions: SessionsService,
    private readonly requests: ConsentRequests,
    private readonly consentViews: ConsentViews,
    private readonly config: AppConfig,
  ) {}

  /** `GET /oauth/authorize` (flow oauth) or `GET /auth` (flow openrouter). `path` is the request's own path and query. */
  async start(flow: OAuthFlow, query: unknown, cookieHeader: string | undefined, path: string): Promise<AuthorizeOutcome> {
    const checked = await this.requestCheck.check(flow, query);
    if ('kind' in checked) return checked;
    const session = await this.sessions.resolve(cookieHeader);
    if (!session) {
      if (path.length > RETURN_TO_MAX_LENGTH)
        return page(414, 'Request too long', 'This authorization request is too long to continue after signing in.');
      return { kind: 'redirect', location: `/sign-in?return_to=${encodeURIComponent(path)}` };
    }
    const opened = await this.requests.open(checked, session);
    return this.consentViews.show({ ...opened, session, path });
  }

  /** `POST /oauth/consent`: the user's decision on a consent page. */
  async decide(form: unknown, cookieHeader: string | undefined): Promise<AuthorizeOutcome> {
    const requestId = single(form, 'request_id');
    const csrf = single(form, 'csrf_token');
    const refused = page(
      403,
      'Request not accepted',
      'This form was not sent from the consent page we showed you. Start again from the app.',
    );
    if (typeof requestId !== 'string' || !UUID.test(requestId) || typeof csrf !== 'string' || !CSRF_TOKEN.test(csrf)) return refused;
    const session = await this.sessions.resolve(cookieHeader);
    if (!session) return refused;
    const answer = await this.requests.answer(requestId, csrf, session);
    if (answer === 'expired')
      return page(400, 'Request expired', 'This authorization request expired or was already answered. Start again from the app.');
    if (answer === 'refused') return refused;
    const { request } = answer;
    const headless = isHeadless(request);

    const decision = single(form, 'decision');
    if (decision === 'deny') {
      if (!(await this.requests.close(answer))) return page(400, 'Request expired', 'This authorization request was already answered.');
      if (headless) return page(200, 'Request denied', 'The app gets no key. You can close this window.');
      return this.back(request.redirectUri, {
        error: 'access_denied',
        error_description: 'The user denied the request',
        state: request.state ?? undefined,
      });
    }
    if (decision !== 'approve') return page(400, 'Invalid decision', 'Approve or deny the request.');

    const limitField = single(form, 'limit');
    const resetField = single(form, 'limit_reset');
    const limit = parseLimitUsd(limitField === REPEATED ? 'x' : limitField);
    const reset = parseLimitReset(resetField === REPEATED ? 'x' : resetField);
    const requested = request.requestedLimitNanos;
    const retry = (error: string, status = 400) =>
      this.consentViews.show({
        request,
        app: request.app,
        csrf,
        session,
        path: null,
        form: {
          limitUsd: typeof limitField === 'string' ? limitField.slice(0, 20) : '',
          limitReset: typeof resetField === 'string' ? resetField : 'none',
          error,
          status,
        },
      });
    if (this.requests.tooQuick(answer)) return retry('Take a moment to review the request, then approve it again.');
    if (limit === 'invalid') return retry('Enter the spending limit as a positive amount in USD, e.g. 10 or 2.50.');
    if (reset === 'invalid') return retry('Choose when the limit resets.');
    if (requested !== null && (limit === null || limit > requested))
      return retry(`The app asked for a limit of at most $${usd(requested)}; you may lower it, not raise or remove it.`);

    if (!(await this.requests.close(answer))) return page(400, 'Request expired', 'This authorization request was already answered.');
    const { code, keyName, ttlSeconds } = await this.requests.issueCode(answer, limit, limit === null ? null : reset);
    // Headless: no callback to send the code to (nor the state, as OpenRouter does), so the user copies it.
    if (headless) return { kind: 'code', view: { code, keyName, expiresInMinutes: Math.floor(ttlSeconds / 60) } };
    return this.back(request.redirectUri, { code, state: request.state ?? undefined });
  }

  private back(redirectUri: string, params: Record<string, string | undefined>): AuthorizeOutcome {
    return authorizationResponse(this.config.http.publicUrl, redirectUri, params);
  }
}
