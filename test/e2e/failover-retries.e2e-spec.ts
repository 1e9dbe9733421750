import { FailoverFixture, PRICES, startFailoverFixture } from '../support/failover-fixture';

/**
 * Issue 18, behaviours 1-5 and 16: provider faults before any output, each with the fallback given
 * as a `models` list (`g/primary` then `g/backup`) and as a second provider of the same model in
 * the catalog (`g/dual`: Prime, then the dearer Second). Timing bounds are deliberately loose.
 */
const GROUPS = ['b1', 'b1x', 'b1y', 'b1z', 'b2', 'b2x', 'b3', 'b4', 'b4x', 'b5', 'b5x', 'b16'];

describe('failover before the first output (retries, fallbacks, billing)', () => {
  let f: FailoverFixture;
  beforeAll(async () => {
    f = await startFailoverFixture({ groups: GROUPS, env: { UPSTREAM_BACKOFF_BASE_MS: '200', UPSTREAM_BACKOFF_MAX_MS: '1000' } });
  });
  afterAll(() => f?.close());
  beforeEach(() => {
    f.prime.reset();
    f.second.reset();
  });

  const viaModels = (g: string) => ({ model: `${g}/primary`, models: [`${g}/backup`] });
  const viaCatalog = (g: string) => ({ model: `${g}/dual` });
  const gaps = (hits: { at: number }[]) => hits.slice(1).map((h, i) => h.at - hits[i].at);

  describe('behaviour 1: 429 with Retry-After: 2, once', () => {
    it.each([
      ['a models list', viaModels('b1'), 'b1/primary'],
      ['a second provider in the catalog', viaCatalog('b1x'), 'b1x/dual'],
    ])('retries the same endpoint after about 2 s (fallback as %s)', async (_how, body, model) => {
      f.prime.next({ status: 429, retryAfter: '2' });
      const res = await f.chat(body);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ model, provider: 'Prime' });
      expect(f.prime.hits).toHaveLength(2);
      expect(f.second.hits).toHaveLength(0);
      expect(gaps(f.prime.hits)[0]).toBeGreaterThanOrEqual(1900);
    });

    it('falls back at once when the Retry-After does not fit (longer than UPSTREAM_RETRY_AFTER_MAX_MS)', async () => {
      f.prime.next({ status: 429, retryAfter: '60' });
      const started = Date.now();
      const res = await f.chat(viaModels('b1y'));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ model: 'b1y/backup', provider: 'Second' });
      expect(f.prime.hits).toHaveLength(1);
      expect(Date.now() - started).toBeLessThan(30_000);
    });

    it('passes Retry-After on when nothing is left', async () => {
      f.prime.always = { status: 429, retryAfter: '30' };
      const res = await f.chat({ model: 'b1z/primary' });
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('30');
      expect(res.body.error!.metadata).toMatchObject({ error_type: 'rate_limit_exceeded', provider_name: 'Prime' });

      // Honoured once (2 s), still limited: the provider's latest Retry-After is passed on.
      f.prime.always = { status: 429, retryAfter: '2' };
      const again = await f.chat({ model: 'b1z/primary' });
      expect(again.status).toBe(429);
      expect(again.headers.get('retry-after')).toBe('2');
    });
  });

  describe('behaviour 2: 429 without Retry-After, persistent', () => {
    it.each([
      ['a models list', viaModels('b2'), 'b2/backup'],
      ['a second provider in the catalog', viaCatalog('b2x'), 'b2x/dual'],
    ])('backs off once, then falls back; later requests do not hammer it (fallback as %s)', async (_how, body, model) => {
      f.prime.always = { status: 429 };
      const res = await f.chat(body);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ model, provider: 'Second' });
      // One retry, after a backoff of at least half the base (200 ms, jittered).
      expect(f.prime.hits).toHaveLength(2);
      expect(gaps(f.prime.hits)[0]).toBeGreaterThanOrEqual(100);

      // The endpoint's circuit is open: the next requests go to the fallback first.
      for (let i = 0; i < 3; i++) expect((await f.chat(body)).status).toBe(200);
      expect(f.prime.hits).toHaveLength(2);
      expect(f.second.hits).toHaveLength(4);
    });
  });

  describe('behaviour 3: 500 once, then healthy', () => {
    it.each([
      ['a models list', viaModels('b3'), 'b3/primary'],
      ['a second provider in the catalog', viaCatalog('b3'), 'b3/dual'],
    ])('retries the same endpoint once and answers from it (fallback as %s)', async (_how, body, model) => {
      f.prime.next({ status: 500 });
      const res = await f.chat(body);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ model, provider: 'Prime' });
      expect(f.prime.hits).toHaveLength(2);
      expect(f.second.hits).toHaveLength(0);
    });

    it('does so for a stream too, before anything reached the client', async () => {
      f.prime.next({ status: 500 });
      const res = await f.stream({ model: 'b3/primary', models: ['b3/backup'] });
      expect(res.status).toBe(200);
      expect(res.content).toBe('Hello from fake-openai.');
      expect(res.events[res.events.length - 1]).toBe('[DONE]');
      expect(f.prime.hits).toHaveLength(2);
    });
  });

  describe('behaviour 4: 503 persistent', () => {
    it.each([
      ['a models list', viaModels('b4'), 'b4/backup'],
      ['a second provider in the catalog', viaCatalog('b4'), 'b4/dual'],
    ])('falls back at once (fallback as %s)', async (_how, body, model) => {
      f.prime.always = { status: 503 };
      const started = Date.now();
      const res = await f.chat(body);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ model, provider: 'Second' });
      expect(f.prime.hits).toHaveLength(1); // overloaded: no retry of the same endpoint
      expect(Date.now() - started).toBeLessThan(30_000);
    });

    it('ends in a clean error, within the retry budget, when every endpoint is down', async () => {
      f.prime.always = { status: 503 };
      f.second.always = { status: 503 };
      const res = await f.chat(viaModels('b4x'));
      expect(res.status).toBe(502);
      expect(res.body.error).toMatchObject({
        message: 'Provider returned error',
        metadata: { error_type: 'provider_unavailable', provider_name: 'Second' },
      });
      expect(f.prime.hits.length + f.second.hits.length).toBe(2);
    });
  });

  describe('behaviour 5: TCP reset before headers', () => {
    it.each([
      ['a models list', viaModels('b5'), 'b5/primary'],
      ['a second provider in the catalog', viaCatalog('b5'), 'b5/dual'],
    ])('once: retries the same endpoint and answers (fallback as %s)', async (_how, body, model) => {
      f.prime.next({ reset: true });
      const res = await f.chat(body);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ model, provider: 'Prime' });
      expect(f.prime.hits).toHaveLength(2);
    });

    it.each([
      ['a models list', viaModels('b5x'), 'b5x/backup'],
      ['a second provider in the catalog', viaCatalog('b5x'), 'b5x/dual'],
    ])('every time: falls back after one retry and answers (fallback as %s)', async (_how, body, model) => {
      f.prime.always = { reset: true };
      const res = await f.chat(body);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ model, provider: 'Second' });
      expect(f.prime.hits).toHaveLength(2);
    });
  });

  describe('behaviour 16: primary 503, the fallback answers', () => {
    const costOf = (price: { prompt: number; completion: number }, usage: { prompt_tokens: number; completion_tokens: number }) =>
      (usage.prompt_tokens * price.prompt + usage.completion_tokens * price.completion) / 1e6;

    it.each([
      ['a models list', viaModels('b16'), 'b16/backup', PRICES.backup],
      ['a second provider in the catalog', viaCatalog('b16'), 'b16/dual', PRICES.second],
    ])("reports the fallback's model and usage and bills only its answer (fallback as %s)", async (_how, body, model, price) => {
      f.prime.always = { status: 503 };
      const res = await f.chat(body);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ model, provider: 'Second' });
      const usage = res.body.usage!;
      // The fake's own count: ceil(10 characters / 4) prompt tokens, five words.
      expect(usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 5 });
      expect(usage.cost).toBeCloseTo(costOf(price, usage), 12);

      const g = await f.generation(res.body.id!);
      expect(g).toMatchObject({ model, provider_name: 'Second', tokens_prompt: 3, tokens_completion: 5 });
      expect(BigInt(g.cost_nanos)).toBe(BigInt(Math.round(usage.cost * 1e9)));
      expect(g.attempts.map((a) => [a.provider_name, a.status])).toEqual([
        ['Prime', 503],
        ['Second', 200],
      ]);
    });

    it("the same for a stream: the usage chunk is the fallback's", async () => {
      f.prime.always = { status: 503 };
      const res = await f.stream({ ...viaModels('b16'), stream_options: { include_usage: true } });
      expect(res.status).toBe(200);
      const chunks = res.events
        .filter((e) => e !== '[DONE]')
        .map(
          (e) =>
            JSON.parse(e) as {
              model: string;
              provider: string;
              usage?: { prompt_tokens: number; completion_tokens: number; cost: number };
            },
        );
      expect(chunks.every((c) => c.model === 'b16/backup' && c.provider === 'Second')).toBe(true);
      const usage = chunks[chunks.length - 1].usage!;
      expect(usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 5 });
      expect(usage.cost).toBeCloseTo(costOf(PRICES.backup, usage), 12);
    });
  });

  it('left the ledger sound', async () => {
    expect(await f.ledgerProblems()).toEqual([]);
  });
});
