// A real OpenID provider for the e2e suites, run as a child process (`node oidc-provider-server.mjs`).
// Client settings come from argv (--client-id=, --client-secret=, --redirect-uri=) or the env
// (OIDC_TEST_CLIENT_ID, OIDC_TEST_CLIENT_SECRET, OIDC_TEST_REDIRECT_URI). With OIDC_TEST_ID_TOKEN_CLAIMS=1
// the email claims travel in the ID token; by default they are only at the userinfo endpoint.
// Prints {"issuer":"http://127.0.0.1:PORT"} once listening; exits when stdin closes or on SIGTERM.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { setTimeout } from 'node:timers';
import Provider from 'oidc-provider';

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .filter((a) => a.startsWith('--') && a.includes('='))
    .map((a) => [a.slice(2, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]),
);
const clientId = args['client-id'] ?? process.env.OIDC_TEST_CLIENT_ID;
const clientSecret = args['client-secret'] ?? process.env.OIDC_TEST_CLIENT_SECRET;
const redirectUri = args['redirect-uri'] ?? process.env.OIDC_TEST_REDIRECT_URI;
if (!clientId || !clientSecret || !redirectUri) {
  process.stderr.write('client id, client secret and redirect uri are required\n');
  process.exit(2);
}
const idTokenClaims = (args['id-token-claims'] ?? process.env.OIDC_TEST_ID_TOKEN_CLAIMS) === '1';

// Any login is accepted by the dev interactions: `<id>` is `<id>@example.com`, verified, except ids
// starting with "mallory" whose email the provider has not verified.
function accountFor(id) {
  const local = id.toLowerCase().replace(/[^a-z0-9._-]/g, '') || 'user';
  return {
    accountId: id,
    async claims() {
      return {
        sub: id,
        email: `${local}@example.com`,
        email_verified: !local.startsWith('mallory'),
        name: `Test ${id}`,
      };
    },
  };
}

const server = createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  scopes: ['openid', 'email', 'profile'],
  conformIdTokenClaims: !idTokenClaims,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  findAccount: async (_ctx, id) => accountFor(id),
});
server.on('request', provider.callback());

process.stdout.write(`${JSON.stringify({ issuer })}\n`);

const stop = () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
