import { cardPage, errorLine } from '../common/html/card-page';
import { html, Html } from '../common/html/html';

export interface AccountFormView {
  returnTo: string;
  csrfToken: string;
  email?: string;
  name?: string;
  error?: string;
}

/** What the sign-in and sign-up forms start with: the CSRF token, where to go after, the email. */
const accountFields = (v: AccountFormView): Html => html`<input type="hidden" name="csrf_token" value="${v.csrfToken}">
<input type="hidden" name="return_to" value="${v.returnTo}">
<label>Email <input type="email" name="email" value="${v.email ?? ''}" autocomplete="email" required maxlength="254"></label>`;

export function signInPage(v: AccountFormView): Html {
  const signUpHref = `/sign-up?return_to=${encodeURIComponent(v.returnTo)}`;
  return cardPage(
    'Sign in',
    html`${errorLine(v.error)}
<form method="post" action="/sign-in">
${accountFields(v)}
<label>Password <input type="password" name="password" autocomplete="current-password" required maxlength="256"></label>
<button type="submit">Sign in</button>
</form>
<p><a href="/forgot-password">Forgot your password?</a></p>
<p>No account yet? <a href="${signUpHref}">Create one</a></p>`,
  );
}

export function signUpPage(v: AccountFormView): Html {
  const signInHref = `/sign-in?return_to=${encodeURIComponent(v.returnTo)}`;
  return cardPage(
    'Create an account',
    html`${errorLine(v.error)}
<form method="post" action="/sign-up">
${accountFields(v)}
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
  return cardPage(
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
  return cardPage(
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
  return cardPage(
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
  return cardPage(title, html`<p role="status">${message}</p><p><a href="${next.href}">${next.label}</a></p>`);
}
