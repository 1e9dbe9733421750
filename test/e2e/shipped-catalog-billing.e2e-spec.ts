import { queryRows } from '../../src/common/database/sql';
import { nanosToUsd, usdToNanos } from '../../src/common/money/money';
import { LedgerService } from '../../src/credits/ledger.service';
import { call } from '../support/factories';
import { ShippedCatalogApp, startShippedCatalogApp } from '../support/shipped-catalog';

type Embedded = { usage: { prompt_tokens: number; cost: number }; error?: { metadata?: Record<string, unknown> } };

/** What the shipped catalog lists for its embedding models, USD per million input tokens. */
const EMBEDDING_PRICES: Record<string, number> = { 'openai/text-embedding-3-small': 0.02, 'openai/text-embedding-3-large': 0.13 };

describe('billing on the shipped catalog', () => {
  let s: ShippedCatalogApp;
  beforeAll(async () => {
    s = await startShippedCatalogApp();
  });
  afterEach(async () => {
    expect(await s.t.get(LedgerService).check()).toEqual([]);
  });
  afterAll(() => s.close());

  const ledger = () => s.t.get(LedgerService);
  const embed = (key: string, model: string, input: string | string[]) => call<Embedded>(s.t, 'POST', '/api/v1/embeddings', { key, body: { model, input } });
  const holdsOf = (userId: string) =>
    queryRows<{ amount: string; actual: string | null }>(ledger().dataSource, `SELECT amount::text, actual::text FROM credit_holds WHERE user_id = $1 ORDER BY created_at`, [userId]);
  const settled = async (userId: string) => {
    for (let i = 0; i < 300; i++) {
      const rows = await queryRows<{ n: string }>(ledger().dataSource, `SELECT count(*)::text AS n FROM credit_holds WHERE user_id = $1 AND status = 'open'`, [userId]);
      if (rows[0].n === '0') return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('holds still open');
  };

  describe('embeddings', () => {
    it.each(Object.entries(EMBEDDING_PRICES))('%s holds and bills its input tokens', async (model, price) => {
      const { user, key } = await s.payer(1);
      const res = await embed(key, model, ['the quick brown fox '.repeat(200), 'jumps over the lazy dog']);
      expect(res.status).toBe(200);
      const tokens = res.body.usage.prompt_tokens;
      expect(tokens).toBeGreaterThan(1000);
      const expected = (BigInt(tokens) * usdToNanos(price) + 999_999n) / 1_000_000n;
      expect(res.body.usage.cost).toBe(nanosToUsd(expected));
      await settled(user.id);
      const [hold] = await holdsOf(user.id);
      expect(BigInt(hold.amount)).toBeGreaterThanOrEqual(expected);
      expect(BigInt(hold.actual!)).toBe(expected);
      expect((await ledger().balances(user.id)).available).toBe(usdToNanos(1) - expected);
    });

    it('a user without credit is refused (402) and the provider is not called', async () => {
      const { user, key } = await s.payer(0);
      const seen = s.fakes.openai.seen.length;
      const res = await embed(key, 'openai/text-embedding-3-small', 'hello there');
      expect(res.status).toBe(402);
      expect(s.fakes.openai.seen.length).toBe(seen);
      expect(await holdsOf(user.id)).toEqual([]);
    });

    it('a balance that does not cover the input is refused (402)', async () => {
      const { key } = await s.payer(0.0000005); // 500 nanodollars: about 3800 tokens at $0.13 per million
      const seen = s.fakes.openai.seen.length;
      const res = await embed(key, 'openai/text-embedding-3-large', 'word '.repeat(4000)); // 5000 tokens, within the model's 8191
      expect(res.body.error?.metadata?.limit_source).toBe('balance');
      expect(res.status).toBe(402);
      expect(s.fakes.openai.seen.length).toBe(seen);
    });
  });

  describe('a frozen or owing user is refused on every paid endpoint, and on free ones too', () => {
    const chat = (key: string, model: string) =>
      call(s.t, 'POST', '/api/v1/chat/completions', { key, body: { model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 16 } });
    const cases: [string, (key: string) => Promise<{ status: number }>][] = [
      ['embeddings', (key) => embed(key, 'openai/text-embedding-3-small', 'hello')],
      ['chat with max_tokens', (key) => chat(key, 'openai/gpt-4o-mini')],
      ['chat without max_tokens', (key) => call(s.t, 'POST', '/api/v1/chat/completions', { key, body: { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] } })],
      ['a free endpoint (a hold of 0)', (key) => chat(key, 'meta-llama/llama-3.1-8b-instruct:free')],
    ];

    it.each(cases)('frozen: %s', async (_name, send) => {
      const { user, key } = await s.payer(5);
      await ledger().transaction((em) => ledger().setFrozen(em, user.id, true));
      const seen = s.fakes.openai.seen.length;
      const res = await send(key);
      expect(res.status).toBe(403);
      expect((res as { body?: { error?: { metadata?: Record<string, unknown> } } }).body?.error?.metadata?.limit_source).toBe('dispute');
      expect(s.fakes.openai.seen.length).toBe(seen);
      await ledger().transaction((em) => ledger().setFrozen(em, user.id, false));
    });

    it.each(cases)('owing: %s', async (_name, send) => {
      const { user, key } = await s.payer(5);
      // Owed after a refund of credit already spent: the receivable goes below zero.
      await ledger().transaction((em) =>
        ledger().post(em, {
          key: `test-owed:${user.id}`,
          kind: 'test',
          userId: user.id,
          entries: [
            { account: { user: user.id, kind: 'receivable' }, amount: -usdToNanos(1) },
            { account: { platform: 'grants' }, amount: usdToNanos(1) },
          ],
        }),
      );
      const seen = s.fakes.openai.seen.length;
      const res = await send(key);
      expect(res.status).toBe(402);
      expect(s.fakes.openai.seen.length).toBe(seen);
    });
  });
});
