import { html, Html } from './html';

/**
 * The small card layout of the pages outside the console (sign-in, sign-up, account mail, consent,
 * errors). Styles come from /assets/web.css (the CSP allows no inline style).
 */
export function cardPage(title: string, content: Html): Html {
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

/** A form's error, announced to screen readers; nothing when there is none. */
export const errorLine = (message: string | undefined) => (message ? html`<p class="error" role="alert">${message}</p>` : null);

/** A page that only reports a problem with a browser flow, such as a bad link or an expired form. */
export function errorPage(title: string, message: string): Html {
  return cardPage(title, html`<p class="error" role="alert">${message}</p><p>You can close this window and start again from the app.</p>`);
}

/** The stylesheet behind every page. */
export const SITE_CSS = `body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1d2330;margin:0;padding:2rem 1rem}
.card{max-width:32rem;margin:0 auto;background:#fff;border-radius:8px;padding:1.5rem 2rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.4rem;margin-top:0}label{display:block;margin:.8rem 0}input,select{display:block;width:100%;box-sizing:border-box;padding:.5rem;margin-top:.3rem;font:inherit}
button{padding:.6rem 1.2rem;font:inherit;border:0;border-radius:4px;background:#2454d6;color:#fff;cursor:pointer;margin-right:.5rem}
button.secondary{background:#e3e6ec;color:#1d2330}.error{color:#b3261e}.actions{margin-top:1rem}code{word-break:break-all}
.notice{background:#fff6e0;border-left:4px solid #c98a00;padding:.6rem .8rem}.muted{color:#5c6370}
textarea.code{display:block;width:100%;box-sizing:border-box;padding:.5rem;margin-top:.3rem;resize:none;field-sizing:content;word-break:break-all;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:1.05rem}
`;
