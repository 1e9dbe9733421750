import { Injectable } from '@nestjs/common';
import { AccountLimits } from '../account-limits';
import { SessionsService } from '../sessions.service';
import { UsersErrors } from '../users.errors';
import { UsersService } from '../users.service';
import { OidcAttempts } from './oidc-attempts';
import { OidcClient } from './oidc.client';

export interface OidcCallbackParams {
  code?: string;
  state?: string;
  error?: string;
  error_description?: string;
  iss?: string;
  session_state?: string;
}

export interface OidcRedirect {
  location: string;
  setCookies: string[];
}

/** "Sign in with <provider>": authorization code flow with PKCE, state and nonce. */
@Injectable()
export class OidcSignInService {
  constructor(
    private readonly client: OidcClient,
    private readonly attempts: OidcAttempts,
    private readonly limits: AccountLimits,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
  ) {}

  /** Stores a new attempt and answers where to send the browser, with the binding cookie. */
  async start(returnTo: unknown, clientIp: string): Promise<OidcRedirect> {
    this.client.issuer(); // refuses at once while single sign-on is off
    // Every start stores an attempt for ten minutes; unauthenticated writes need a ceiling.
    await this.limits.oidcStart(clientIp);
    const request = OidcClient.generateRequest();
    const location = await this.client.authorizationUrl(request);
    return { location, setCookies: [await this.attempts.open(request, returnTo)] };
  }

  /** Completes an attempt (each one at most once); answers the session cookie and where to go. */
  async callback(query: OidcCallbackParams, cookieHeader: string | undefined, userAgent: string | undefined): Promise<OidcRedirect> {
    const issuer = this.client.issuer();
    if (!query.state) throw UsersErrors.oidcFailed('the callback carries no state');
    const attempt = await this.attempts.redeem(query.state, cookieHeader);

    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      if (typeof value === 'string') params.set(name, value);
    }
    const identity = await this.client.exchange({
      params,
      expectedState: query.state,
      expectedNonce: attempt.nonce,
      codeVerifier: attempt.codeVerifier,
    });
    const user = await this.users.findOrCreateFromIdentity({
      issuer,
      subject: identity.subject,
      email: identity.email,
      emailVerified: identity.emailVerified,
      name: identity.name,
    });
    const session = await this.sessions.start(user.id, userAgent);
    return { location: attempt.returnTo, setCookies: [session, this.attempts.clearCookie()] };
  }
}
