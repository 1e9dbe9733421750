import { FailoverFixture, startFailoverFixture } from '../support/failover-fixture';

/**
 * Issue 18, behaviour 7: a provider whose first token comes after 20 s still answers with the
 * default timeouts; the separate time-to-first-token limit (UPSTREAM_FIRST_TOKEN_TIMEOUT_MS), when
 * set lower, gives up on such a provider and falls back.
 */
describe('failover: a slow first token (behaviour 7)', () => {
  describe('with the default timeouts', () => {
    let f: FailoverFixture;
    beforeAll(async () => {
      f = await startFailoverFixture({ groups: ['t7', 't7x'] });
    });
    afterAll(() => f?.close());

    it('answers from the slow provider, streamed or not, with either kind of fallback', async () => {
      f.prime.always = { firstTokenAfterMs: 20_000 };
      const started = Date.now();
      const [listed, listedStream, catalog, catalogStream] = await Promise.all([
        f.chat({ model: 't7/primary', models: ['t7/backup'] }),
        f.stream({ model: 't7/primary', models: ['t7/backup'] }),
        f.chat({ model: 't7x/dual' }),
        f.stream({ model: 't7x/dual' }),
      ]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(19_000);
      expect(listed.status).toBe(200);
      expect(listed.body).toMatchObject({ model: 't7/primary', provider: 'Prime' });
      expect(catalog.status).toBe(200);
      expect(catalog.body).toMatchObject({ model: 't7x/dual', provider: 'Prime' });
      for (const s of [listedStream, catalogStream]) {
        expect(s.status).toBe(200);
        expect(s.content).toBe('Hello from fake-openai.');
        expect(JSON.parse(s.events[0])).toMatchObject({ provider: 'Prime' });
      }
      expect(f.second.hits).toHaveLength(0);
    }, 120_000);

    it('left the ledger sound', async () => {
      expect(await f.ledgerProblems()).toEqual([]);
    });
  });

  describe('with a lower time-to-first-token limit', () => {
    let f: FailoverFixture;
    beforeAll(async () => {
      f = await startFailoverFixture({ groups: ['t7y', 't7z'], env: { UPSTREAM_FIRST_TOKEN_TIMEOUT_MS: '1500' } });
    });
    afterAll(() => f?.close());

    it('gives up on a stream whose first token does not come in time (its headers did) and falls back', async () => {
      f.prime.always = { firstTokenAfterMs: 20_000 };
      const started = Date.now();
      const [listed, catalog] = await Promise.all([
        f.stream({ model: 't7y/primary', models: ['t7y/backup'] }),
        f.stream({ model: 't7z/dual' }),
      ]);
      expect(Date.now() - started).toBeLessThan(15_000);
      for (const s of [listed, catalog]) {
        expect(s.status).toBe(200);
        expect(s.content).toBe('Hello from fake-openai.');
        expect(JSON.parse(s.events[0])).toMatchObject({ provider: 'Second' });
      }
      expect(f.prime.hits).toHaveLength(2);
    }, 60_000);

    it('left the ledger sound', async () => {
      expect(await f.ledgerProblems()).toEqual([]);
    });
  });
});
