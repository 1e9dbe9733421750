import { Injectable } from '@nestjs/common';
import { RETURN_TO_MAX_LENGTH } from '../common/html/return-to';
import { nanosToUsd } from '../common/money/money';
import { LedgerService } from '../credits/ledger.service';
import { SessionPrincipal } from '../users/sessions.service';
import { UsersService } from '../users/users.service';
import { AuthorizeOutcome, HEADLESS_KEY_NAME } from './authorize-outcome';
import { isHeadless } from './consent-requests';
import { OAuthAuthorizationRequestEntity } from './entities/authorization-request.entity';
import { OAuthAppEntity } from './entities/oauth-app.entity';
import { OAuthSettings } from './oauth-settings';
import { callbackOrigin } from './redirect-uri';

/** A consent page to show: the stored request, its app, its form token and who is signed in. */
export interface ConsentShown {
  request: OAuthAuthorizationRequestEntity;
  app: OAuthAppEntity;
  csrf: string;
  session: SessionPrincipal;
  /** The authorization request's own path and query, for "switch account"; null when answering the form. */
  path: string | null;
  /** What the user sent, shown again with the error that sent the form back. */
  form?: { limitUsd: string; limitReset: string; error: string; status: number } | null;
}

export const usd = (nanos: bigint) => String(nanosToUsd(nanos));
/** Whole cents, rounded down, in integer arithmetic: `12.34`. */
const centsText = (nanos: bigint) => {
  const cents = (nanos > 0n ? nanos : 0n) / 10_000_000n;
  return `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`;
};

/** What the consent page shows: the app, the key it would get, the user's balance and the proposed limit. */
@Injectable()
export class ConsentViews {
  constructor(
    private readonly users: UsersService,
    private readonly ledger: LedgerService,
    private readonly settings: OAuthSettings,
  ) {}

  async show({ request, app, csrf, session, path, form = null }: ConsentShown): Promise<AuthorizeOutcome> {
    const [user, balances] = await Promise.all([this.users.get(session.userId), this.ledger.balances(session.userId)]);
    const proposed = request.requestedLimitNanos ?? this.settings.defaultLimitNanos;
    const headless = isHeadless(request);
    const origin = headless ? null : callbackOrigin(request.redirectUri);
    const appName = headless ? HEADLESS_KEY_NAME : app.name;
    const again = path ?? (request.flow === 'oauth' ? '/oauth/authorize' : '/auth');
    return {
      kind: 'consent',
      status: form?.status ?? 200,
      // A headless decision is answered on our own page: the form goes nowhere else.
      formTargets: origin ? [origin] : [],
      view: {
        appName,
        appOrigin: origin ?? '',
        headless,
        homepage: app.homepage,
        registered: app.kind === 'registered',
        userEmail: user.email,
        requestId: request.id,
        csrfToken: csrf,
        keyName: request.keyLabel ?? appName,
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
}
