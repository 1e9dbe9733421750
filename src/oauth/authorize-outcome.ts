import { ConsentView } from './consent.page';
import { OAuthFlow } from './entities/authorization-request.entity';
import { OAuthAppEntity } from './entities/oauth-app.entity';
import { withParams } from './redirect-uri';

/** What the browser gets: an HTML page, a 303, or the consent page. */
export type AuthorizeOutcome =
  | { kind: 'page'; status: number; title: string; message: string }
  | { kind: 'redirect'; location: string }
  | { kind: 'consent'; status: number; view: ConsentView; formTargets: string[] };

/** An authorization request that passed every check, before anyone is signed in. */
export interface ValidRequest {
  flow: OAuthFlow;
  /** Registered app (oauth flow), or the callback origin that stands for the app (openrouter flow). */
  app: OAuthAppEntity | { origin: string };
  redirectUri: string;
  state: string | undefined;
  codeChallenge: string;
  scope: string;
  keyLabel: string | null;
  requestedLimitNanos: bigint | null;
}

export const page = (status: number, title: string, message: string): AuthorizeOutcome => ({ kind: 'page', status, title, message });

/** The authorization response (RFC 9207: with `iss`, so clients of several servers can tell us apart). */
export const authorizationResponse = (issuer: string, redirectUri: string, params: Record<string, string | undefined>): AuthorizeOutcome => ({
  kind: 'redirect',
  location: withParams(redirectUri, { ...params, iss: issuer }),
});
