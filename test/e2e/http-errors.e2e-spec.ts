import { createTestApp, TestApp } from '../support/test-app';
import { ProbeModule } from '../support/probe.module';

describe('HTTP errors and request ids', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ imports: [ProbeModule], env: { BODY_LIMIT_BYTES: '2048' }, captureLogs: true });
  });
  afterAll(() => t.close());

  const expectEnvelope = async (res: Response, status: number, errorType: string) => {
    expect(res.status).toBe(status);
    expect(res.headers.get('x-request-id')).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const body = (await res.json()) as { error: { code: number; message: string; metadata: Record<string, unknown> } };
    expect(body.error.code).toBe(status);
    expect(typeof body.error.message).toBe('string');
    expect(body.error.metadata.error_type).toBe(errorType);
    expect(JSON.stringify(body)).not.toMatch(/\bat \S+:\d+|node_modules|\.ts:\d+/);
    return body;
  };

  it('404 for an unknown route, in the envelope, with a request id', async () => {
    const res = await fetch(`${t.url}/api/v1/no-such-thing`);
    await expectEnvelope(res, 404, 'not_found');
  });

  it('400 for malformed JSON', async () => {
    const res = await fetch(`${t.url}/api/v1/_probe/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name": "a",',
    });
    const body = await expectEnvelope(res, 400, 'malformed_json');
    expect(body.error.message).toBe('Request body is not valid JSON');
  });

  it('400 for a wrong content type', async () => {
    const res = await fetch(`${t.url}/api/v1/_probe/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/xml' },
      body: '<name>a</name>',
    });
    await expectEnvelope(res, 400, 'unsupported_media_type');
  });

  it('413 for a body over the configured limit', async () => {
    const res = await fetch(`${t.url}/api/v1/_probe/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(4096) }),
    });
    await expectEnvelope(res, 413, 'payload_too_large');
  });

  it('400 with field-level messages for invalid and unknown fields', async () => {
    const res = await fetch(`${t.url}/api/v1/_probe/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 5, count: -1, extra: true }),
    });
    const body = await expectEnvelope(res, 400, 'validation_failed');
    const fields = (body.error.metadata.fields as { field: string }[]).map((f) => f.field).sort();
    expect(fields).toEqual(['count', 'extra', 'name']);
  });

  it('400 for NUL characters and unpaired surrogates, which Postgres text cannot hold, on the account APIs (not a 500)', async () => {
    const post = (path: string, body: unknown, cookie?: string) =>
      fetch(`${t.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
        body: JSON.stringify(body),
      });
    const probe = await expectEnvelope(await post('/api/v1/_probe/echo', { name: 'a\u0000b' }), 400, 'validation_failed');
    expect(probe.error.metadata.fields).toEqual([{ field: 'name', messages: ['must not contain NUL characters or unpaired surrogates'] }]);
    await expectEnvelope(
      await post('/api/v1/users', { email: 'nul-name@example.com', password: 'a fine password 1', name: 'x\u0000' }),
      400,
      'validation_failed',
    );
    const signUp = await post('/api/v1/users', { email: 'nul-ok@example.com', password: 'a fine password 1' });
    expect(signUp.status).toBe(201);
    const cookie = signUp.headers.get('set-cookie')!.split(';')[0];
    const key = await expectEnvelope(await post('/api/v1/keys', { name: 'k\u0000' }, cookie), 400, 'validation_failed');
    expect(key.error.message).toBe('Invalid request: name must not contain NUL characters or unpaired surrogates');
    await expectEnvelope(
      await post('/api/v1/oauth/apps', { name: 'A\u0000', redirect_uris: ['https://a.example/cb'] }, cookie),
      400,
      'validation_failed',
    );
    const nested = await expectEnvelope(
      await post('/api/v1/oauth/apps', { name: 'A', redirect_uris: ['https://a.example/cb\u0000'] }, cookie),
      400,
      'validation_failed',
    );
    expect(nested.error.metadata.fields).toEqual([
      { field: 'redirect_uris.0', messages: ['must not contain NUL characters or unpaired surrogates'] },
    ]);
    // A lone surrogate made validator.js's isEmail throw (URIError), which was a 500.
    await expectEnvelope(
      await post('/api/v1/users', { email: 'x\ud800@example.com', password: 'a fine password 1' }),
      400,
      'validation_failed',
    );
    await expectEnvelope(await post('/api/v1/sessions', { email: '\udc00', password: 5 }), 400, 'validation_failed');
  });

  it('a validator that throws on its input answers 400, not 500, and the log keeps the error', async () => {
    const res = await fetch(`${t.url}/api/v1/_probe/throwing-validator`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value: 'boom' }),
    });
    const body = await expectEnvelope(res, 400, 'validation_failed');
    expect(body.error.message).toBe('Invalid request: a field could not be validated');
    expect(t.logs.some((l) => l.includes('a validator threw') && l.includes('URI malformed'))).toBe(true);
    const fine = await fetch(`${t.url}/api/v1/_probe/throwing-validator`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value: 'fine' }),
    });
    expect(fine.status).toBe(201);
  });

  it('typed errors keep their status and metadata', async () => {
    const res = await fetch(`${t.url}/api/v1/_probe/app-error`);
    const body = await expectEnvelope(res, 402, 'payment_required');
    expect(body.error.metadata.needed).toBe(1);
  });

  it('500 for an unexpected error, without internals; the log has the detail and the request id', async () => {
    const res = await fetch(`${t.url}/api/v1/_probe/boom`, { headers: { 'x-request-id': 'probe-boom-1' } });
    const body = await expectEnvelope(res, 500, 'server');
    expect(body.error.message).toBe('Internal server error');
    expect(res.headers.get('x-request-id')).toBe('probe-boom-1');
    const lines = t.logs.filter((l) => l.includes('probe-boom-1')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.some((l) => l.level === 'error' && JSON.stringify(l).includes('secret internal detail'))).toBe(true);
    expect(lines.some((l) => l.msg === 'request completed' && l.status === 500)).toBe(true);
  });

  it('echoes a safe caller request id and replaces an unsafe one', async () => {
    const ok = await fetch(`${t.url}/health`, { headers: { 'x-request-id': 'abc-123' } });
    expect(ok.headers.get('x-request-id')).toBe('abc-123');
    const bad = await fetch(`${t.url}/health`, { headers: { 'x-request-id': 'a b <script>' } });
    expect(bad.headers.get('x-request-id')).not.toContain('script');
    expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('every log line written for a request names it', async () => {
    await fetch(`${t.url}/api/v1/_probe/app-error`, { headers: { 'x-request-id': 'trace-me-7' } });
    const lines = t.logs.filter((l) => l.includes('trace-me-7'));
    expect(lines.length).toBeGreaterThanOrEqual(2); // the rejection (debug) and the access line
    for (const l of lines) expect((JSON.parse(l) as { reqId?: string }).reqId).toBe('trace-me-7');
  });
});
