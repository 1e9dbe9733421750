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
