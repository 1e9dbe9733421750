import { FailoverFixture, startFailoverFixture } from '../support/failover-fixture';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Issue 18, behaviour 15: the primary is down for a while, then healthy, over twenty requests. The
 * outage window is shortened (3 s, growing to at most 6 s) so that the test takes seconds, not
 * minutes; the bounds are loose so that a loaded machine does not fail it.
 */
const WINDOW_MS = 3000;
const MAX_WINDOW_MS = 6000;

describe('failover: circuit breaker (behaviour 15)', () => {
  let f: FailoverFixture;
  beforeAll(async () => {
    f = await startFailoverFixture({
      groups: ['c15', 'c15x'],
      env: { ROUTING_OUTAGE_WINDOW_MS: String(WINDOW_MS), ROUTING_OUTAGE_WINDOW_MAX_MS: String(MAX_WINDOW_MS) },
    });
  });
  afterAll(() => f?.close());
  beforeEach(() => {
    f.prime.reset();
    f.second.reset();
  });

  it.each([
    ['a models list', { model: 'c15/primary', models: ['c15/backup'] }],
    ['a second provider in the catalog', { model: 'c15x/dual' }],
  ])(
    'serves from the fallback while the primary is down, probes it, and returns to it once it recovers (fallback as %s)',
    async (_how, body) => {
      const served: { provider: string; at: number }[] = [];
      const ask = async () => {
        const res = await f.chat(body);
        expect(res.status).toBe(200);
        served.push({ provider: res.body.provider!, at: Date.now() });
      };

      // Down: ten requests back to back. The first finds it down; the rest go to the fallback first.
      f.prime.always = { status: 503 };
      for (let i = 0; i < 10; i++) await ask();
      const downHits = f.prime.hits.length;
      expect(served.slice(0, 10).every((s) => s.provider === 'Second')).toBe(true);
      expect(downHits).toBeGreaterThanOrEqual(1);
      // At most one probe per window: far fewer calls than requests.
      expect(downHits).toBeLessThanOrEqual(1 + Math.ceil((served[9].at - f.prime.hits[0].at) / WINDOW_MS));
      expect(downHits).toBeLessThan(10);

      // Healthy again: ten more, a second apart (longer in all than the largest window).
      f.prime.always = null;
      const recoveredAt = Date.now();
      for (let i = 0; i < 10; i++) {
        await sleep(1000);
        await ask();
      }
      const later = served.slice(10);
      const back = later.findIndex((s) => s.provider === 'Prime');
      expect(back).toBeGreaterThanOrEqual(0);
      // Back within the largest window of the recovery (plus slack for a slow machine), and stays.
      expect(later[back].at - recoveredAt).toBeLessThan(MAX_WINDOW_MS + 8000);
      expect(later.slice(back).every((s) => s.provider === 'Prime')).toBe(true);
    },
    120_000,
  );

  it('left the ledger sound', async () => {
    expect(await f.ledgerProblems()).toEqual([]);
  });
});
