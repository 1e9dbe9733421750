import { Injectable } from '@nestjs/common';
import * as oauth from 'oauth4webapi';
import { AppConfig } from '../../common/config/app-config';
import { AppError } from '../../common/errors/app-error';
import { AppLogger } from '../../common/logging/app-logger';
import { UsersErrors } from '../users.errors';

const REQUEST_TIMEOUT_MS = 10_000;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

export interface OidcAuthorizationRequest {
  state: string;
  nonce: string;
  codeVerifier: string;
}

export interface OidcCallback {
  /** The callback's query parameters as the provider sent them. */
  params: URLSearchParams;
  expectedState: string;
  expectedNonce: string;
  codeVerifier: string;
}

export interface OidcIdentity {
  subject: string;
  email: string;
  emailVerified: boolean;
  name: string | null;
}

interface Settings {
  issuer: URL;
  client: oauth.Client;
  auth: oauth.ClientAuth;
  scopes: string;
  redirectUri: string;
  requestOptions: { [oauth.allowInsecureRequests]?: boolean; signal: () => AbortSignal };
}

/** The only user of oauth4webapi: discovery, the authorization URL and the code exchange. */
@Injectable()
export class OidcClient {
  private readonly log: AppLogger;
  private settings: Settings | null | undefined;
  private discovery: Promise<oauth.AuthorizationServer> | null = null;

  constructor(
    private readonly config: AppConfig,
    logger: AppLogger,
  ) {
    this.log = logger.child({ component: 'oidc' });
  }

  /** The issuer identities are recorded under, as configured; throws `oidc_not_configured` when single sign-on is off. */
  issuer(): string {
    if (!this.config.oidc) throw UsersErrors.oidcNotConfigured();
    return this.config.oidc.issuer;
  }

  static generateRequest(): OidcAuthorizationRequest {
    return {
      state: oauth.generateRandomState(),
      nonce: oauth.generateRandomNonce(),
      codeVerifier: oauth.generateRandomCodeVerifier(),
    };
  }

  async authorizationUrl(request: OidcAuthorizationRequest): Promise<string> {
    const s = this.getSettings();
    const as = await this.discover();
    if (!as.authorization_endpoint) throw this.fail('discovery', 'the provider has no authorization endpoint');
    const url = new URL(as.authorization_endpoint);
    url.searchParams.set('client_id', s.client.client_id);
    url.searchParams.set('redirect_uri', s.redirectUri);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('scope', s.scopes);
    url.searchParams.set('state', request.state);
    url.searchParams.set('nonce', request.nonce);
    url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(request.codeVerifier));
    url.searchParams.set('code_challenge_method', 'S256');
    return url.toString();
  }

  async exchange(callback: OidcCallback): Promise<OidcIdentity> {
    const s = this.getSettings();
    const as = await this.discover();

    let params: URLSearchParams;
    try {
      params = oauth.validateAuthResponse(as, s.client, callback.params, callback.expectedState);
    } catch (err) {
      if (err instanceof oauth.AuthorizationResponseError) {
        throw this.fail('callback', `the provider answered ${safeCode(err.error)}`, err);
      }
      throw this.fail('callback', 'the callback parameters are invalid', err);
    }

    let tokens: oauth.TokenEndpointResponse;
    try {
      const response = await oauth.authorizationCodeGrantRequest(
        as,
        s.client,
        s.auth,
        params,
        s.redirectUri,
        callback.codeVerifier,
        s.requestOptions,
      );
      tokens = await oauth.processAuthorizationCodeResponse(as, s.client, response, {
        expectedNonce: callback.expectedNonce,
        requireIdToken: true,
      });
    } catch (err) {
      if (err instanceof oauth.ResponseBodyError) {
        throw this.fail('token', `the provider refused the code (${safeCode(err.error)})`, err);
      }
      throw this.fail('token', 'the token response was invalid', err);
    }

    const claims = oauth.getValidatedIdTokenClaims(tokens);
    if (!claims) throw this.fail('token', 'the provider sent no ID token');
    let email = claims.email;
    let verified = claims.email_verified;
    if (typeof email !== 'string' || verified === undefined) {
      // Many providers put email only in userinfo for the code flow; take email and its flag together.
      const info = await this.userinfo(as, s, tokens.access_token, claims.sub);
      if (info && typeof info.email === 'string') {
        email = info.email;
        verified = info.email_verified;
      }
    }
    if (typeof email !== 'string' || email.length > 254 || !email.includes('@')) {
      throw this.fail('claims', 'the provider did not share a usable email address');
    }
    return {
      subject: claims.sub,
      email,
      // Some providers send the flag as a string.
      emailVerified: verified === true || verified === 'true',
      name: typeof claims.name === 'string' ? claims.name.slice(0, 100) : null,
    };
  }

  private async userinfo(
    as: oauth.AuthorizationServer,
    s: Settings,
    accessToken: string,
    subject: string,
  ): Promise<oauth.UserInfoResponse | null> {
    if (!as.userinfo_endpoint) return null;
    try {
      const response = await oauth.userInfoRequest(as, s.client, accessToken, s.requestOptions);
      return await oauth.processUserInfoResponse(as, s.client, subject, response);
    } catch (err) {
      throw this.fail('userinfo', 'the userinfo request failed', err);
    }
  }

  /** Discovery is cached once it succeeds; a failure is forgotten so the next sign-in retries. */
  private discover(): Promise<oauth.AuthorizationServer> {
    if (!this.discovery) {
      const s = this.getSettings();
      this.discovery = (async () => {
        try {
          const response = await oauth.discoveryRequest(s.issuer, { ...s.requestOptions, algorithm: 'oidc' });
          return await oauth.processDiscoveryResponse(s.issuer, response);
        } catch (err) {
          throw this.fail('discovery', 'the identity provider could not be discovered', err);
        }
      })();
      this.discovery.catch(() => (this.discovery = null));
    }
    return this.discovery;
  }

  private getSettings(): Settings {
    if (this.settings !== undefined) {
      if (!this.settings) throw UsersErrors.oidcNotConfigured();
      return this.settings;
    }
    const oidc = this.config.oidc;
    if (!oidc) {
      this.settings = null;
      throw UsersErrors.oidcNotConfigured();
    }
    let issuer: URL;
    try {
      issuer = new URL(oidc.issuer);
    } catch {
      throw this.fail('config', 'the issuer URL is invalid');
    }
    // Plain http only for a provider on this machine (development and tests).
    const loopback = LOOPBACK_HOSTS.has(issuer.hostname);
    if (issuer.protocol !== 'https:' && !(issuer.protocol === 'http:' && loopback)) {
      throw this.fail('config', 'the issuer must use https');
    }
    this.settings = {
      issuer,
      client: { client_id: oidc.clientId },
      auth: oauth.ClientSecretBasic(oidc.clientSecret),
      scopes: oidc.scopes,
      redirectUri: `${this.config.http.publicUrl}/auth/oidc/callback`,
      requestOptions: {
        ...(issuer.protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {}),
        signal: () => AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      },
    };
    return this.settings;
  }

  /** Logs the library's reason (no tokens or secrets in it) and returns the client-facing error. */
  private fail(stage: string, reason: string, err?: unknown): AppError {
    const detail = err instanceof Error ? { errName: err.name, errCode: (err as { code?: unknown }).code, errMessage: err.message } : {};
    this.log.warn({ stage, reason, ...detail }, 'openid connect sign-in failed');
    return UsersErrors.oidcFailed(reason);
  }
}

/** An OAuth error code is echoed back only if it looks like one. */
function safeCode(code: string): string {
  return /^[A-Za-z0-9_.-]{1,64}$/.test(code) ? code : 'an error';
}
