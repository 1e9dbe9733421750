import { ProbeModule } from '../support/probe.module';
import { createTestApp } from '../support/test-app';

describe('graceful shutdown', () => {
  it('finishes in-flight requests, then stops accepting', async () => {
    const t = await createTestApp({ imports: [ProbeModule] });
    const inFlight = fetch(`${t.url}/api/v1/_probe/slow?ms=600`);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await t.close();
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ slept: 600 });
    await expect(fetch(`${t.url}/health`)).rejects.toThrow();
  });
});
