import { html, Html } from './html';

/** The tiny layout every page shares. Styles come from /assets/web.css (the CSP allows no inline style). */
export function layout(title: string, content: Html): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · Switchyard</title>
<link rel="stylesheet" href="/assets/web.css">
</head>
<body>
<main class="card">
<h1>${title}</h1>
${content}
</main>
</body>
</html>
`;
}

const errorLine = (message: string | undefined) => (message ? html`<p class="error" role="alert">${message}</p>` : null);

export interface AccountFormView {
  returnTo: string;
  csrfToken: string;
  email?: string;
  name?: string;
  error?: string;
}

export function signInPage(v: AccountFormView): Html {
  const signUpHref = `/sign-up?return_to=${encodeURIComponent(v.returnTo)}`;
  return layout(
    'Sign in',
    html`${errorLine(v.error)}
<form method="post" action="/sign-in">
<input type="hidden" name="csrf_token" value="${v.csrfToken}">
<input type="hidden" name="return_to" value="${v.returnTo}">
<label>Email <input type="email" name="email" value="${v.email ?? ''}" autocomplete="email" required maxlength="254"></label>
<label>Password <input type="password" name="password" autocomplete="current-password" required maxlength="256"></label>
<button type="submit">Sign in</button>
</form>
<p><a href="/forgot-password">Forgot your password?</a></p>
<p>No account yet? <a href="${signUpHref}">Create one</a></p>`,
  );
}

export function signUpPage(v: AccountFormView): Html {
  const signInHref = `/sign-in?return_to=${encodeURIComponent(v.returnTo)}`;
  return layout(
    'Create an account',
    html`${errorLine(v.error)}
<form method="post" action="/sign-up">
<input type="hidden" name="csrf_token" value="${v.csrfToken}">
<input type="hidden" name="return_to" value="${v.returnTo}">
<label>Email <input type="email" name="email" value="${v.email ?? ''}" autocomplete="email" required maxlength="254"></label>
<label>Name (optional) <input type="text" name="name" value="${v.name ?? ''}" autocomplete="name" maxlength="100"></label>
<label>Password (at least 10 characters) <input type="password" name="password" autocomplete="new-password" required minlength="10" maxlength="256"></label>
<button type="submit">Create account</button>
</form>
<p>Already have an account? <a href="${signInHref}">Sign in</a></p>`,
  );
}

export interface ForgotPasswordView {
  csrfToken: string;
  email?: string;
  error?: string;
}

export function forgotPasswordPage(v: ForgotPasswordView): Html {
  return layout(
    'Forgot your password?',
    html`${errorLine(v.error)}
<p>Enter the address of your account: we will email you a link to choose a new password.</p>
<form method="post" action="/forgot-password">
<input type="hidden" name="csrf_token" value="${v.csrfToken}">
<label>Email <input type="email" name="email" value="${v.email ?? ''}" autocomplete="email" required maxlength="254"></label>
<button type="submit">Email me a link</button>
</form>
<p><a href="/sign-in">Back to sign in</a></p>`,
  );
}

/** The landing page of an emailed link: what it does, and a button (mail scanners only GET links). */
export interface EmailLinkView {
  csrfToken: string;
  token: string;
  email: string;
  error?: string;
}

export function resetPasswordPage(v: EmailLinkView): Html {
  return layout(
    'Choose a new password',
    html`${errorLine(v.error)}
<p>For the account <strong>${v.email}</strong>. Setting it signs the account out everywhere.</p>
<form method="post" action="/reset-password">
<input type="hidden" name="csrf_token" value="${v.csrfToken}">
<input type="hidden" name="token" value="${v.token}">
<label>New password (at least 10 characters) <input type="password" name="password" autocomplete="new-password" required minlength="10" maxlength="256"></label>
<button type="submit">Set password</button>
</form>`,
  );
}

export function verifyEmailPage(v: EmailLinkView): Html {
  return layout(
    'Confirm your email address',
    html`${errorLine(v.error)}
<p>Confirm that <strong>${v.email}</strong> is your address and that you created this Switchyard account.</p>
<p>If you did not create it, do not confirm: <a href="/forgot-password">reset its password</a> to take it over instead.</p>
<form method="post" action="/verify-email">
<input type="hidden" name="csrf_token" value="${v.csrfToken}">
<input type="hidden" name="token" value="${v.token}">
<button type="submit">Confirm</button>
</form>`,
  );
}

/** A page that only tells something, with one way on. */
export function noticePage(title: string, message: string, next: { href: string; label: string }): Html {
  return layout(title, html`<p role="status">${message}</p><p><a href="${next.href}">${next.label}</a></p>`);
}

export interface ConsentView {
  appName: string;
  /** Where the app runs (its callback's origin), shown so the user can tell look-alikes apart. */
  appOrigin: string;
  homepage: string | null;
  /** A registered app with a name of its own, rather than one known only by its origin. */
  registered: boolean;
  userEmail: string;
  requestId: string;
  csrfToken: string;
  keyName: string;
  /** The name came from the app's key_label, so the page says whose words it is. */
  keyNameFromApp: boolean;
  /** The user's available balance, USD with cents. */
  balanceUsd: string;
  /** Approve is armed by /assets/consent.js after the page has been shown and focused this long. */
  approveDelayMs: number;
  /** The limit the app asked for, in USD: the user may lower it, not raise or remove it. */
  requestedLimitUsd: string | null;
  limitUsd: string;
  limitReset: string;
  switchAccountHref: string;
  error?: string;
}

export function consentPage(v: ConsentView): Html {
  const resets: [string, string][] = [
    ['none', 'Never (a total limit)'],
    ['daily', 'Daily'],
    ['weekly', 'Weekly'],
    ['monthly', 'Monthly'],
  ];
  return layout(
    'Authorize app',
    html`${errorLine(v.error)}
<p class="app"><strong>${v.appName}</strong>${v.registered ? html` at <code>${v.appOrigin}</code>` : null} wants an API key for your Switchyard account.</p>
${v.homepage ? html`<p>Homepage: <code>${v.homepage}</code></p>` : null}
<p>The key will:</p>
<ul>
<li>call AI models through Switchyard on your behalf;</li>
<li>spend <strong>your credits</strong>, up to the limit below;</li>
<li>not be able to see or change your account, your other keys or your payments.</li>
</ul>
<p>You can revoke it at any time from your authorized apps.</p>
<p>Your balance: <strong>$${v.balanceUsd}</strong></p>
<form method="post" action="/oauth/consent" id="consent" data-approve-delay-ms="${v.approveDelayMs}">
<input type="hidden" name="request_id" value="${v.requestId}">
<input type="hidden" name="csrf_token" value="${v.csrfToken}">
<p>Key name: <code>${v.keyName}</code>${v.keyNameFromApp ? html` (named by the app)` : null}</p>
<label>Spending limit in USD ${v.requestedLimitUsd ? html`(the app asked for at most ${v.requestedLimitUsd})` : html`(empty for no limit)`}
<input type="text" inputmode="decimal" name="limit" value="${v.limitUsd}" ${v.requestedLimitUsd ? html`required` : null} maxlength="20"></label>
<label>Limit resets
<select name="limit_reset">${resets.map(([value, label]) => html`<option value="${value}"${value === v.limitReset ? html` selected` : null}>${label}</option>`)}</select></label>
<p>Signed in as ${v.userEmail}. <a href="${v.switchAccountHref}">Not you?</a></p>
<div class="actions">
<button type="submit" name="decision" value="approve" id="approve">Approve</button>
<button type="submit" name="decision" value="deny" class="secondary" formnovalidate>Deny</button>
</div>
</form>
<script src="/assets/consent.js" defer></script>`,
  );
}

/**
 * Arms the consent page's Approve button only once the page has been visible and focused for its
 * delay, and disarms it whenever the page loses focus (a popup or frame stealing the click). A
 * file of its own because the pages' CSP allows no inline script. The server refuses approvals
 * that come too soon in any case; this spares the user that refusal.
 */
export const CONSENT_JS = `(function () {
  var form = document.getElementById('consent');
  var approve = document.getElementById('approve');
  if (!form || !approve) return;
  var delay = Number(form.getAttribute('data-approve-delay-ms')) || 0;
  var timer = null;
  function disarm() {
    approve.disabled = true;
    if (timer) clearTimeout(timer);
    timer = null;
  }
  function arm() {
    disarm();
    if (document.visibilityState !== 'visible' || !document.hasFocus()) return;
    timer = setTimeout(function () { approve.disabled = false; }, delay);
  }
  window.addEventListener('blur', disarm);
  window.addEventListener('focus', arm);
  document.addEventListener('visibilitychange', arm);
  arm();
})();
`;

export function errorPage(title: string, message: string): Html {
  return layout(title, html`<p class="error" role="alert">${message}</p><p>You can close this window and start again from the app.</p>`);
}

/** The stylesheet behind every page. */
export const SITE_CSS = `body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1d2330;margin:0;padding:2rem 1rem}
.card{max-width:32rem;margin:0 auto;background:#fff;border-radius:8px;padding:1.5rem 2rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.4rem;margin-top:0}label{display:block;margin:.8rem 0}input,select{display:block;width:100%;box-sizing:border-box;padding:.5rem;margin-top:.3rem;font:inherit}
button{padding:.6rem 1.2rem;font:inherit;border:0;border-radius:4px;background:#2454d6;color:#fff;cursor:pointer;margin-right:.5rem}
button.secondary{background:#e3e6ec;color:#1d2330}.error{color:#b3261e}.actions{margin-top:1rem}code{word-break:break-all}
`;
