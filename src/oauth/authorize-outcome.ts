import { ConsentView, HeadlessCodeView } from './consent.page';
import { OAuthSettings } from './oauth-settings';
import { OAuthFlow } from './entities/authorization-request.entity';
import { OAuthAppEntity } from './entities/oauth-app.entity';
import { withParams } from './redirect-uri';

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

/** An authorization request that passed every check, before anyone is signed in. */
export interface ValidRequest {
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

export const page = (status: number, title: string, message: string): AuthorizeOutcome => ({ kind: 'page', status, title, message });

/** The authorization response (RFC 9207: with `iss`, so clients of several servers can tell us apart). */
export const authorizationResponse = (
  issuer: string,
  redirectUri: string,
  params: Record<string, string | undefined>,
): AuthorizeOutcome => ({
  kind: 'redirect',
  location: withParams(redirectUri, { ...params, iss: issuer }),
});
