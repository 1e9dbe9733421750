import { Injectable } from '@nestjs/common';
import { AppConfig } from '../common/config/app-config';
import { REPEATED, single } from '../common/http/form-params';
import { isAcceptableState, KEY_LABEL_MAX_LENGTH, parseKeyLabel, parseLimitUsd, parseScope } from './authorization-params';
import { authorizationResponse, AuthorizeOutcome, page, ValidRequest } from './authorize-outcome';
import { OAuthFlow } from './entities/authorization-request.entity';
import { OAuthRepository } from './oauth.repository';
import { isS256Challenge, PKCE_METHOD } from './pkce';
import { callbackOrigin, HEADLESS_REDIRECT_URI, matchesAnyRegistered, redirectUriProblem } from './redirect-uri';

/** The parameters besides client_id and redirect_uri that must not be repeated. */
const SINGLE_PARAMS = ['response_type', 'state', 'scope', 'code_challenge', 'code_challenge_method', 'limit', 'key_label'];

/**
 * Checks an authorization request before anyone signs in. Errors before the client and redirect URI
 * are known render a page and never redirect; on `/oauth/authorize` later ones go back to the client.
 */
@Injectable()
export class AuthorizationRequestCheck {
  constructor(
    private readonly repo: OAuthRepository,
    private readonly config: AppConfig,
  ) {}

  /** `GET /oauth/authorize` (flow oauth) or `GET /auth` (flow openrouter). */
  async check(flow: OAuthFlow, query: unknown): Promise<ValidRequest | AuthorizeOutcome> {
    return flow === 'oauth' ? this.checkOAuth(query) : this.checkOpenRouter(query);
  }

  /** `/oauth/authorize`: registered client, exact redirect URI, then the rest (errors go back to the client). */
  private async checkOAuth(query: unknown): Promise<ValidRequest | AuthorizeOutcome> {
    const clientId = single(query, 'client_id');
    if (typeof clientId !== 'string' || clientId.length > 64)
      return page(400, 'Unknown app', 'The request does not name a registered app (client_id).');
    const app = await this.repo.findAppByClientId(clientId);
    if (!app || app.kind !== 'registered') return page(400, 'Unknown app', 'The request does not name a registered app (client_id).');
    const redirectUri = single(query, 'redirect_uri');
    if (typeof redirectUri !== 'string') return page(400, 'Missing redirect URI', 'The request has no redirect_uri (or more than one).');
    if (!matchesAnyRegistered(app.redirectUris, redirectUri)) {
      return page(
        400,
        'Unregistered redirect URI',
        'This app did not register the redirect URI in the request, so we will not send you there.',
      );
    }

    // From here on the client and its redirect URI are known: errors go back to the app.
    const fail = (error: string, description: string, state?: string) =>
      authorizationResponse(this.config.http.publicUrl, redirectUri, { error, error_description: description, state });
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
    if ([...SINGLE_PARAMS, 'callback_url'].some((p) => single(query, p) === REPEATED))
      return page(400, 'Invalid request', 'A parameter was sent more than once.');
    const pkce = this.checkPkce(query);
    if (!pkce.ok) return page(400, 'Invalid request', `${pkce.error}.`);
    const state = single(query, 'state') as string | undefined;
    if (!isAcceptableState(state)) return page(400, 'Invalid request', 'The state must be printable ASCII of at most 1024 characters.');
    const key = this.checkKeyParams(query);
    if ('kind' in key) return key;
    return {
      flow: 'openrouter',
      app: { origin: callbackOrigin(callback) },
      redirectUri: callback,
      state,
      codeChallenge: pkce.challenge,
      scope: 'inference',
      ...key,
    };
  }

  /**
   * `/auth` without a callback URL: OpenRouter's headless mode, for command-line apps (over SSH, in
   * a container) that have no browser to come back to. PKCE with S256 is required as on every
   * request here; the state is not used (there is no redirect to carry it).
   */
  private checkHeadless(query: unknown): ValidRequest | AuthorizeOutcome {
    if (SINGLE_PARAMS.some((p) => single(query, p) === REPEATED))
      return page(400, 'Invalid request', 'A parameter was sent more than once.');
    const pkce = this.checkPkce(query);
    if (!pkce.ok)
      return page(400, 'Invalid request', `${pkce.error}. Without a callback_url (for command-line apps) the code challenge is required.`);
    const key = this.checkKeyParams(query);
    if ('kind' in key) return key;
    return {
      flow: 'openrouter',
      app: 'headless',
      redirectUri: HEADLESS_REDIRECT_URI,
      state: undefined,
      codeChallenge: pkce.challenge,
      scope: 'inference',
      ...key,
    };
  }

  /** S256 only: `plain`, a missing method and a missing or misshapen challenge are all refused here. */
  /** OpenRouter's `key_label` and `limit`: the new key's name and its spending limit. */
  private checkKeyParams(query: unknown): Pick<ValidRequest, 'keyLabel' | 'requestedLimitNanos'> | AuthorizeOutcome {
    const keyLabel = parseKeyLabel(single(query, 'key_label') as string | undefined);
    if (keyLabel === 'invalid')
      return page(
        400,
        'Invalid request',
        `The key_label must be at most ${KEY_LABEL_MAX_LENGTH} characters, without control or invisible formatting characters.`,
      );
    const limit = parseLimitUsd(single(query, 'limit') as string | undefined);
    if (limit === 'invalid') return page(400, 'Invalid request', 'The limit must be a positive amount of USD.');
    return { keyLabel, requestedLimitNanos: limit };
  }

  private checkPkce(query: unknown): { ok: true; challenge: string } | { ok: false; error: string } {
    const method = single(query, 'code_challenge_method');
    const challenge = single(query, 'code_challenge');
    if (challenge === undefined) return { ok: false, error: 'PKCE is required: send code_challenge and code_challenge_method=S256' };
    if (method !== PKCE_METHOD) return { ok: false, error: 'code_challenge_method must be S256 (plain is not supported)' };
    if (!isS256Challenge(challenge)) return { ok: false, error: 'code_challenge must be 43 base64url characters (a SHA-256 digest)' };
    return { ok: true, challenge };
  }
}
