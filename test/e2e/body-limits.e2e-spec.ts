import net from 'node:net';
import { GatewayFixture, startGatewayFixture } from '../support/gateway-fixture';

/**
 * Sends the head of a request that announces a large body and only part of that body, then waits:
 * the status line of the answer, or null when the server is still waiting for the rest.
 */
function partialPost(
  url: string,
  path: string,
  headers: Record<string, string>,
  announced: number,
  waitMs: number,
): Promise<string | null> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    let answer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(null);
    }, waitMs);
    socket.on('data', (d: Buffer) => {
      answer += d.toString('latin1');
      if (answer.includes('\r\n')) {
        clearTimeout(timer);
        socket.destroy();
        resolve(answer.split('\r\n')[0]);
      }
    });
    socket.on('error', () => undefined);
    const head = Object.entries({
      host: `${hostname}:${port}`,
      'content-type': 'application/json',
      'content-length': String(announced),
      ...headers,
    })
      .map(([k, v]) => `${k}: ${v}`)
      .join('\r\n');
    socket.write(`POST ${path} HTTP/1.1\r\n${head}\r\n\r\n`);
    socket.write(`{"model":"test/chat","messages":[{"role":"user","content":"${'x'.repeat(64 * 1024)}`);
  });
}

async function post(
  f: GatewayFixture,
  path: string,
  body: string,
  type = 'application/json',
  headers: Record<string, string> = {},
): Promise<number> {
  const res = await fetch(`${f.t.url}${path}`, { method: 'POST', headers: { 'content-type': type, ...headers }, body });
  await res.arrayBuffer();
  return res.status;
}

describe('request bodies: authenticated before they are read, small where no one is authenticated', () => {
  let f: GatewayFixture;
  beforeAll(async () => {
    f = await startGatewayFixture();
  });
  afterAll(() => f.close());

  it.each([
    ['no key', {}],
    ['a wrong key', { authorization: `Bearer sk-sy-v1-${'0'.repeat(64)}` }],
    ['a malformed key', { authorization: 'Bearer nope' }],
  ])('an inference request with %s is refused 401 before its 10 MB body is read', async (_what, headers) => {
    const status = await partialPost(f.t.url, '/api/v1/chat/completions', headers, 10 * 1024 * 1024, 3000);
    expect(status).toBe('HTTP/1.1 401 Unauthorized');
  });

  it('a key-authenticated inference request still takes a large body', async () => {
    const body = JSON.stringify({ model: 'test/a-only', messages: [{ role: 'user', content: 'x'.repeat(90 * 1024) }], max_tokens: 5 });
    expect(await post(f, '/api/v1/chat/completions', body, 'application/json', { authorization: `Bearer ${f.key}` })).toBe(200);
  });

  const big = 'x'.repeat(200 * 1024);
  it.each([
    ['sign-up', '/api/v1/users', JSON.stringify({ email: 'big@example.com', password: big }), 'application/json'],
    ['sign-in', '/api/v1/sessions', JSON.stringify({ email: 'big@example.com', password: big }), 'application/json'],
    ['code exchange', '/api/v1/auth/keys', JSON.stringify({ code: big, code_verifier: 'v' }), 'application/json'],
    ['the web sign-in form', '/sign-in', `email=a%40b.c&password=${big}`, 'application/x-www-form-urlencoded'],
    ['the OAuth token endpoint', '/oauth/token', `grant_type=authorization_code&code=${big}`, 'application/x-www-form-urlencoded'],
  ])('%s refuses a 200 KB body with 413', async (_what, path, body, type) => {
    expect(await post(f, path, body, type)).toBe(413);
  });
});
