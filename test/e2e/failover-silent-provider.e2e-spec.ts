import { FailoverFixture, startFailoverFixture } from '../support/failover-fixture';

/**
 * Issue 18, behaviour 6: a provider that never answers is abandoned well before a client would give
 * up, and the fallback answers: with the default timeouts, the whole request in under 100 s. This
 * runs on the defaults on purpose (a streamed request waits 30 s for the silent provider, a
 * non-streaming one 60 s), the four requests side by side.
 */
describe('failover: a provider that never answers (behaviour 6, default timeouts)', () => {
  let f: FailoverFixture;
  beforeAll(async () => {
    f = await startFailoverFixture({ groups: ['s6', 's6x'] });
  });
  afterAll(() => f?.close());

  it('falls back and answers in under 100 s, streamed or not, with either kind of fallback', async () => {
    f.prime.always = { hang: true };
    const timed = async <T>(run: () => Promise<T>) => {
      const started = Date.now();
      const result = await run();
      return { result, ms: Date.now() - started };
    };
    const [listed, listedStream, catalog, catalogStream] = await Promise.all([
      timed(() => f.chat({ model: 's6/primary', models: ['s6/backup'] })),
      timed(() => f.stream({ model: 's6/primary', models: ['s6/backup'] })),
      timed(() => f.chat({ model: 's6x/dual' })),
      timed(() => f.stream({ model: 's6x/dual' })),
    ]);
    expect(listed.result.status).toBe(200);
    expect(listed.result.body).toMatchObject({ model: 's6/backup', provider: 'Second' });
    expect(catalog.result.status).toBe(200);
    expect(catalog.result.body).toMatchObject({ model: 's6x/dual', provider: 'Second' });
    for (const s of [listedStream.result, catalogStream.result]) {
      expect(s.status).toBe(200);
      expect(s.content).toBe('Hello from fake-openai.');
      expect(s.events[s.events.length - 1]).toBe('[DONE]');
    }
    for (const r of [listed, listedStream, catalog, catalogStream]) expect(r.ms).toBeLessThan(100_000);
    expect(f.prime.hits).toHaveLength(4);
    expect(f.second.hits).toHaveLength(4);
  }, 150_000);

  it('left the ledger sound', async () => {
    expect(await f.ledgerProblems()).toEqual([]);
  });
});
