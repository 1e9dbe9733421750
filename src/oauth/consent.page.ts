import { cardPage, errorLine } from '../common/html/card-page';
import { html, Html } from '../common/html/html';

export interface ConsentView {
  appName: string;
  /** Where the app runs (its callback's origin), shown so the user can tell look-alikes apart. */
  appOrigin: string;
  homepage: string | null;
  /** A registered app with a name of its own, rather than one known only by its origin. */
  registered: boolean;
  /** A command-line app without a callback (headless mode): the code is shown on our page after approval. */
  headless: boolean;
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
  return cardPage(
    'Authorize app',
    html`${errorLine(v.error)}
<p class="app"><strong>${v.appName}</strong>${v.registered ? html` at <code>${v.appOrigin}</code>` : null} wants an API key for your Switchyard account.</p>
${v.homepage ? html`<p>Homepage: <code>${v.homepage}</code></p>` : null}
${
  v.headless
    ? html`<p class="notice">No website is involved: once you approve, this page shows a code to paste into the app. Approve only if you started this sign-in yourself, from a command line you use, and never give the code to anyone.</p>`
    : null
}
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

export interface HeadlessCodeView {
  code: string;
  keyName: string;
  expiresInMinutes: number;
}

/**
 * Headless mode's answer to an approval: the code, for the user to copy into the command-line app
 * that showed them the link. The Copy button is /assets/console.js's (hidden without script or
 * clipboard; the field can always be selected by hand). A text area, so that the whole code wraps into view on a
 * phone.
 */
export function headlessCodePage(v: HeadlessCodeView): Html {
  return cardPage(
    'Paste this code into the app',
    html`<p>You approved a key named <code>${v.keyName}</code>. Copy this code and paste it into the command-line app that is waiting for it:</p>
<label for="auth-code">Authorization code</label>
<textarea id="auth-code" class="code" rows="2" readonly autocomplete="off" spellcheck="false">${v.code}</textarea>
<div class="actions"><button type="button" data-copy="auth-code" hidden>Copy</button></div>
<p class="muted" data-copy-status="auth-code" role="status"></p>
<p>The code works once, only for the app that started this sign-in, and expires in ${String(v.expiresInMinutes)} minutes. Do not share it with anyone.</p>
<script src="/assets/console.js" defer></script>`,
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
