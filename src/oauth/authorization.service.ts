import { Injectable } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { Clock } from '../common/clock/clock';
import { AppConfig } from '../common/config/app-config';
import { randomToken, sha256Hex } from '../common/crypto/tokens';
import { RETURN_TO_MAX_LENGTH } from '../common/html/return-to';
import { REPEATED, single } from '../common/http/form-params';
import { nanosToUsd } from '../common/money/money';
import { LedgerService } from '../credits/ledger.service';
import { SessionPrincipal, SessionsService } from '../users/sessions.service';
import { UsersService } from '../users/users.service';
import { newClientId } from './apps.service';
import {
  isAcceptableState,
  KEY_LABEL_MAX_LENGTH,
  parseKeyLabel,
  parseLimitReset,
  parseLimitUsd,
  parseScope,
} from './authorization-params';
import { ConsentView, HeadlessCodeView } from './consent.page';
import { OAuthAuthorizationRequestEntity, OAuthFlow } from './entities/authorization-request.entity';
import { OAuthAppEntity } from './entities/oauth-app.entity';
import { OAuthRepository } from './oauth.repository';
import { OAuthSettings } from './oauth-settings';
import { isS256Challenge, PKCE_METHOD } from './pkce';
import { callbackOrigin, HEADLESS_REDIRECT_URI, matchesAnyRegistered, redirectUriProblem, withParams } from './redirect-uri';

/** What the browser gets: an HTML page, a 303, the consent page, or (headless mode) the code to paste. */
export type AuthorizeOutcome =
  | { kind: 'page'; status: number; title: string; message: string }
  | { kind: 'redirect'; location: string }
  | { kind: 'consent'; status: number; view: ConsentView; formTargets: string[] }
  | { kind: 'code'; view: HeadlessCodeView };

/** The key name of a headless request without a key_label, as OpenRouter names them. */
export const HEADLESS_KEY_NAME = 'A command-line app';
/**
 * A headless code is copied by a person from this page into a terminal, which takes longer than a
 * redirect: it lives the 10 minutes OpenRouter gives it (RFC 6749's ceiling). It is bound to the
 * S256 challenge of the app that started the sign-in, so the code alone redeems nothing.
 */
export const HEADLESS_CODE_TTL_SECONDS = OAuthSettings.MAX_CODE_TTL_SECONDS;

interface ValidRequest {
  flow: OAuthFlow;
  /** Registered app (oauth flow), the callback origin that stands for the app, or the headless app (openrouter flow). */
  app: OAuthAppEntity | { origin: string } | 'headless';
  redirectUri: string;
  state: string | undefined;
  codeChallenge: string;
  scope: string;
  keyLabel: string | null;
  requestedLimitNanos: bigint | null;
}

const page = (status: number, title: string, message: string): AuthorizeOutcome => ({ kind: 'page', status, title, message });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CSRF_TOKEN = /^[A-Za-z0-9_-]{43}$/;
/** The parameters besides client_id and redirect_uri that must not be repeated. */
const SINGLE_PARAMS = ['response_type', 'state', 'scope', 'code_challenge', 'code_challenge_method', 'limit', 'key_label'];

const usd = (nanos: bigint) => String(nanosToUsd(nanos));
/** Whole cents, rounded down, in integer arithmetic: `12.34`. */
const centsText = (nanos: bigint) => {
  const cents = (nanos > 0n ? nanos : 0n) / 10_000_000n;
  return `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`;
};

/**
 * The authorization endpoint, for both flows: validate the request (errors before the client and
 * redirect URI are known render a page and never redirect), make sure someone is signed in, show
 * the consent page, and turn the user's decision into a code or an `access_denied` redirect.
 */
@Injectable()
export class AuthorizationService {
  constructor(
    private readonly repo: OAuthRepository,
    private readonly sessions: SessionsService,
    private readonly users: UsersService,
    private readonly ledger: LedgerService,
    private readonly settings: OAuthSettings,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  private get issuer(): string {
    return this.config.http.publicUrl;
  }

  /** `GET /oauth/authorize` (flow oauth) or `GET /auth` (flow openrouter). `path` is the request's own path and query. */
  async start(flow: OAuthFlow, query: unknown, cookieHeader: string | undefined, path: string): Promise<AuthorizeOutcome> {
    const checked = flow === 'oauth' ? await this.checkOAuth(query) : this.checkOpenRouter(query);
    if ('kind' in checked) return checked;
    const session = await this.sessions.resolve(cookieHeader);
    if (!session) {
      if (path.length > RETURN_TO_MAX_LENGTH) return page(414, 'Request too long', 'This authorization request is too long to continue after signing in.');
      return { kind: 'redirect', location: `/sign-in?return_to=${encodeURIComponent(path)}` };
    }
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
      flow,
      redirectUri: checked.redirectUri,
      state: checked.state ?? null,
      codeChallenge: checked.codeChallenge,
      scope: checked.scope,
      keyLabel: checked.keyLabel,
      requestedLimitNanos: checked.requestedLimitNanos,
      expiresAt: new Date(this.clock.nowMs() + this.settings.requestTtlSeconds * 1000),
    });
    return this.consent(request, app, csrf, session, path);
  }

  /** `POST /oauth/consent`: the user's decision on a consent page. */
  async decide(form: unknown, cookieHeader: string | undefined): Promise<AuthorizeOutcome> {
    const requestId = single(form, 'request_id');
    const csrf = single(form, 'csrf_token');
    const refused = page(403, 'Request not accepted', 'This form was not sent from the consent page we showed you. Start again from the app.');
    if (typeof requestId !== 'string' || !UUID.test(requestId) || typeof csrf !== 'string' || !CSRF_TOKEN.test(csrf)) return refused;
    const session = await this.sessions.resolve(cookieHeader);
    if (!session) return refused;
    const now = this.clock.now();
    const request = await this.repo.findPendingRequest(requestId, session.sessionId, now);
    if (!request || !request.app) return page(400, 'Request expired', 'This authorization request expired or was already answered. Start again from the app.');
    if (!timingSafeEqual(Buffer.from(sha256Hex(csrf), 'ascii'), Buffer.from(request.csrfHash, 'ascii'))) return refused;

    const headless = request.redirectUri === HEADLESS_REDIRECT_URI;
    const decision = single(form, 'decision');
    if (decision === 'deny') {
      if (!(await this.repo.markDecided(request.id, now))) return page(400, 'Request expired', 'This authorization request was already answered.');
      if (headless) return page(200, 'Request denied', 'The app gets no key. You can close this window.');
      return this.back(request.redirectUri, { error: 'access_denied', error_description: 'The user denied the request', state: request.state ?? undefined });
    }
    if (decision !== 'approve') return page(400, 'Invalid decision', 'Approve or deny the request.');

    const limitField = single(form, 'limit');
    const resetField = single(form, 'limit_reset');
    const limit = parseLimitUsd(limitField === REPEATED ? 'x' : limitField);
    const reset = parseLimitReset(resetField === REPEATED ? 'x' : resetField);
    const requested = request.requestedLimitNanos;
    const retry = (error: string, status = 400) =>
      this.consent(request, request.app!, csrf, session, null, { limitUsd: typeof limitField === 'string' ? limitField.slice(0, 20) : '', limitReset: typeof resetField === 'string' ? resetField : 'none', error, status });
    // The page was shown when the request was stored; an approval quicker than a person reads it is
    // a click aimed at something else (a popup that opened under the cursor, a double click).
    const shownAt = request.expiresAt.getTime() - this.settings.requestTtlSeconds * 1000;
    if (now.getTime() - shownAt < this.settings.consentDelayMs) return retry('Take a moment to review the request, then approve it again.');
    if (limit === 'invalid') return retry('Enter the spending limit as a positive amount in USD, e.g. 10 or 2.50.');
    if (reset === 'invalid') return retry('Choose when the limit resets.');
    if (requested !== null && (limit === null || limit > requested)) return retry(`The app asked for a limit of at most $${usd(requested)}; you may lower it, not raise or remove it.`);

    if (!(await this.repo.markDecided(request.id, now))) return page(400, 'Request expired', 'This authorization request was already answered.');
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
      limitNanos: limit,
      limitReset: limit === null ? null : reset,
      expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
    });
    // Headless: no callback to send the code to (nor the state, as OpenRouter does), so the user copies it.
    if (headless) return { kind: 'code', view: { code, keyName, expiresInMinutes: Math.floor(ttlSeconds / 60) } };
    return this.back(request.redirectUri, { code, state: request.state ?? undefined });
  }

  /** The authorization response (RFC 9207: with `iss`, so clients of several servers can tell us apart). */
  private back(redirectUri: string, params: Record<string, string | undefined>): AuthorizeOutcome {
    return { kind: 'redirect', location: withParams(redirectUri, { ...params, iss: this.issuer }) };
  }

  private async consent(
    request: OAuthAuthorizationRequestEntity,
    app: OAuthAppEntity,
    csrf: string,
    session: SessionPrincipal,
    path: string | null,
    form: { limitUsd: string; limitReset: string; error: string; status: number } | null = null,
  ): Promise<AuthorizeOutcome> {
    const [user, balances] = await Promise.all([this.users.get(session.userId), this.ledger.balances(session.userId)]);
    const proposed = request.requestedLimitNanos ?? this.settings.defaultLimitNanos;
    const headless = request.redirectUri === HEADLESS_REDIRECT_URI;
    const origin = headless ? null : callbackOrigin(request.redirectUri);
    const again = path ?? (request.flow === 'oauth' ? '/oauth/authorize' : '/auth');
    return {
      kind: 'consent',
      status: form?.status ?? 200,
      // A headless decision is answered on our own page: the form goes nowhere else.
      formTargets: origin ? [origin] : [],
      view: {
        appName: headless ? HEADLESS_KEY_NAME : app.name,
        appOrigin: origin ?? '',
        headless,
        homepage: app.homepage,
        registered: app.kind === 'registered',
        userEmail: user.email,
        requestId: request.id,
        csrfToken: csrf,
        keyName: request.keyLabel ?? (headless ? HEADLESS_KEY_NAME : app.name),
        keyNameFromApp: request.keyLabel !== null,
        balanceUsd: centsText(balances.available),
        approveDelayMs: this.settings.consentDelayMs,
        requestedLimitUsd: request.requestedLimitNanos === null ? null : usd(request.requestedLimitNanos),
        limitUsd: form?.limitUsd ?? (proposed === null ? '' : usd(proposed)),
        limitReset: form?.limitReset ?? 'none',
        switchAccountHref: `/sign-in?return_to=${encodeURIComponent(again.length <= RETURN_TO_MAX_LENGTH ? again : '/')}`,
        error: form?.error,
      },
    };
  }

  /** `/oauth/authorize`: registered client, exact redirect URI, then the rest (errors go back to the client). */
  private async checkOAuth(query: unknown): Promise<ValidRequest | AuthorizeOutcome> {
    const clientId = single(query, 'client_id');
    if (typeof clientId !== 'string' || clientId.length > 64) return page(400, 'Unknown app', 'The request does not name a registered app (client_id).');
    const app = await this.repo.findAppByClientId(clientId);
    if (!app || app.kind !== 'registered') return page(400, 'Unknown app', 'The request does not name a registered app (client_id).');
    const redirectUri = single(query, 'redirect_uri');
    if (typeof redirectUri !== 'string') return page(400, 'Missing redirect URI', 'The request has no redirect_uri (or more than one).');
    if (!matchesAnyRegistered(app.redirectUris, redirectUri)) {
      return page(400, 'Unregistered redirect URI', 'This app did not register the redirect URI in the request, so we will not send you there.');
    }

    // From here on the client and its redirect URI are known: errors go back to the app.
    const fail = (error: string, description: string, state?: string) =>
      this.back(redirectUri, { error, error_description: description, state });
    if (SINGLE_PARAMS.some((p) => single(query, p) === REPEATED)) return fail('invalid_request', 'A parameter was sent more than once');
    const state = single(query, 'state') as string | undefined;
    if (!isAcceptableState(state)) return fail('invalid_request', 'state must be printable ASCII of at most 1024 characters');
    const responseType = single(query, 'response_type') as string | undefined;
    if (responseType === undefined) return fail('invalid_request', 'response_type is required', state);
    if (responseType !== 'code') return fail('unsupported_response_type', 'Only response_type=code is supported', state);
    const pkce = this.checkPkce(query);
    if (!pkce.ok) return fail('invalid_request', pkce.error, state);
    const scope = parseScope(single(query, 'scope') as string | undefined);
    if (scope === null) return fail('invalid_scope', 'The only scope is inference', state);
    const limit = parseLimitUsd(single(query, 'limit') as string | undefined);
    if (limit === 'invalid') return fail('invalid_request', 'limit must be a positive amount of USD', state);
    return { flow: 'oauth', app, redirectUri, state, codeChallenge: pkce.challenge, scope, keyLabel: null, requestedLimitNanos: limit };
  }

  /**
   * `/auth` (OpenRouter-style): no registration, so the callback URL defines the app and we never
   * redirect to it before the user has seen the consent page; every error is a page.
   */
  private checkOpenRouter(query: unknown): ValidRequest | AuthorizeOutcome {
    const callback = single(query, 'callback_url');
    if (callback === undefined) return this.checkHeadless(query);
    if (callback === REPEATED) return page(400, 'Missing callback URL', 'The request has no callback_url (or more than one).');
    const problem = redirectUriProblem(callback);
    if (problem) return page(400, 'Invalid callback URL', `The callback_url ${problem}.`);
    if ([...SINGLE_PARAMS, 'callback_url'].some((p) => single(query, p) === REPEATED)) return page(400, 'Invalid request', 'A parameter was sent more than once.');
    const pkce = this.checkPkce(query);
    if (!pkce.ok) return page(400, 'Invalid request', `${pkce.error}.`);
    const state = single(query, 'state') as string | undefined;
    if (!isAcceptableState(state)) return page(400, 'Invalid request', 'The state must be printable ASCII of at most 1024 characters.');
    const keyLabel = parseKeyLabel(single(query, 'key_label') as string | undefined);
    if (keyLabel === 'invalid') return page(400, 'Invalid request', `The key_label must be at most ${KEY_LABEL_MAX_LENGTH} characters, without control or invisible formatting characters.`);
    const limit = parseLimitUsd(single(query, 'limit') as string | undefined);
    if (limit === 'invalid') return page(400, 'Invalid request', 'The limit must be a positive amount of USD.');
    return {
      flow: 'openrouter',
      app: { origin: callbackOrigin(callback) },
      redirectUri: callback,
      state,
      codeChallenge: pkce.challenge,
      scope: 'inference',
      keyLabel,
      requestedLimitNanos: limit,
    };
  }

  /**
   * `/auth` without a callback URL: OpenRouter's headless mode, for command-line apps (over SSH, in
   * a container) that have no browser to come back to. PKCE with S256 is required as on every
   * request here; the state is not used (there is no redirect to carry it).
   */
  private checkHeadless(query: unknown): ValidRequest | AuthorizeOutcome {
    if (SINGLE_PARAMS.some((p) => single(query, p) === REPEATED)) return page(400, 'Invalid request', 'A parameter was sent more than once.');
    const pkce = this.checkPkce(query);
    if (!pkce.ok) return page(400, 'Invalid request', `${pkce.error}. Without a callback_url (for command-line apps) the code challenge is required.`);
    const keyLabel = parseKeyLabel(single(query, 'key_label') as string | undefined);
    if (keyLabel === 'invalid') return page(400, 'Invalid request', `The key_label must be at most ${KEY_LABEL_MAX_LENGTH} characters, without control or invisible formatting characters.`);
    const limit = parseLimitUsd(single(query, 'limit') as string | undefined);
    if (limit === 'invalid') return page(400, 'Invalid request', 'The limit must be a positive amount of USD.');
    return {
      flow: 'openrouter',
      app: 'headless',
      redirectUri: HEADLESS_REDIRECT_URI,
      state: undefined,
      codeChallenge: pkce.challenge,
      scope: 'inference',
      keyLabel,
      requestedLimitNanos: limit,
    };
  }

  /** S256 only: `plain`, a missing method and a missing or misshapen challenge are all refused here. */
  private checkPkce(query: unknown): { ok: true; challenge: string } | { ok: false; error: string } {
    const method = single(query, 'code_challenge_method');
    const challenge = single(query, 'code_challenge');
    if (challenge === undefined) return { ok: false, error: 'PKCE is required: send code_challenge and code_challenge_method=S256' };
    if (method !== PKCE_METHOD) return { ok: false, error: 'code_challenge_method must be S256 (plain is not supported)' };
    if (!isS256Challenge(challenge)) return { ok: false, error: 'code_challenge must be 43 base64url characters (a SHA-256 digest)' };
    return { ok: true, challenge };
  }
}
