import { createTestApp, TestApp } from '../support/test-app';

const counter = (text: string, route: string, status: number): number => {
  const line = text
    .split('\n')
    .find((l) => l.startsWith('switchyard_http_requests_total{') && l.includes(`route="${route}"`) && l.includes(`status="${status}"`));
  return line ? Number(line.split(' ').pop()) : 0;
};

describe('GET /metrics', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('counts requests by route pattern and status, in Prometheus text format', async () => {
    const before = await (await fetch(`${t.url}/metrics`)).text();
    await fetch(`${t.url}/health`);
    await fetch(`${t.url}/health`);
    await fetch(`${t.url}/api/v1/missing/abc123`);
    const res = await fetch(`${t.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const after = await res.text();
    expect(counter(after, '/health', 200) - counter(before, '/health', 200)).toBe(2);
    // Unknown URLs are one label, so scanners cannot blow up the series count.
    expect(counter(after, 'unmatched', 404) - counter(before, 'unmatched', 404)).toBe(1);
    expect(after).not.toContain('abc123');
    expect(after).toMatch(/switchyard_http_request_duration_seconds_bucket\{.*route="\/health".*\} \d+/);
    expect(after).toContain('switchyard_process_resident_memory_bytes');
  });
});
