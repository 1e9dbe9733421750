import { AppConfig } from '../../src/common/config/app-config';
import {
  contentOf,
  StreamFailoverFixture,
  generationOf,
  ledgerProblems,
  rawStream,
  startStreamFailoverFixture,
} from '../support/stream-failover-fixture';
import { STORY, STORY_TOKENS } from '../support/fake-upstreams/story';

jest.setTimeout(180_000);

const upTo = (n: number) => STORY_TOKENS.slice(0, n).join('');

/**
 * Issue 18, behaviour 9: a stream that stalls for 30 s with its connection open, after output was
 * sent. With the default STREAM_IDLE_TIMEOUT_MS the stall is detected well before then.
 */
describe('failover: a stream stalling 30 s mid-answer', () => {
  let f: StreamFailoverFixture;

  beforeAll(async () => {
    f = await startStreamFailoverFixture();
  });

  afterAll(async () => {
    await f?.close();
  });

  it('is detected by default, continued from a fallback or ended cleanly, and the gateway stays healthy', async () => {
    const idleMs = f.t.get(AppConfig).upstream.streamIdleMs;
    expect(idleMs).toBeLessThan(30_000);
    const started = Date.now();
    // Both at once: one continues on a fallback, the other (no fallback) ends with an error chunk.
    const [continued, ended] = await Promise.all([rawStream(f, { model: 'fo/stall' }), rawStream(f, { model: 'fo/stall-only' })]);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(idleMs - 100);
    expect(elapsed).toBeLessThan(30_000);

    expect(contentOf(continued.events)).toBe(STORY);
    const g = await generationOf(f, continued.gen);
    expect(g.provider_responses).toEqual([
      expect.objectContaining({ provider_name: 'Prime', status: 200, error: expect.stringMatching(/stalled/) }),
      expect.objectContaining({ provider_name: 'Cont', status: 200, error: null, continued_at: upTo(40).length }),
    ]);
    expect(g.finish_reason).toBe('stop');

    expect(contentOf(ended.events)).toBe(upTo(40));
    const chunk = ended.events[ended.events.length - 2] as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(chunk.choices[0].finish_reason).toBe('error');
    expect(chunk.error.message).toMatch(/the provider's stream stalled/i);
    expect(ended.events[ended.events.length - 1]).toBe('[DONE]');

    // The stalled provider connections were let go of, not left hanging for the rest of the stall.
    for (const model of ['stall-at-40-30000', 'stall-at-40-30000-only']) expect(f.seenBy(model).map((s) => s.aborted)).toEqual([true]);
    // And the gateway serves the next request as usual.
    const next = await rawStream(f, { model: 'fo/story' });
    expect(contentOf(next.events)).toBe(STORY);
    const health = await fetch(`${f.t.url}/health`);
    expect(health.status).toBe(200);
    expect(await ledgerProblems(f)).toEqual([]);
  });
});
