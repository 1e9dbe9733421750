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
  const embed = (key: string, model: string, input: string | string[]) =>
    call<Embedded>(s.t, 'POST', '/api/v1/embeddings', { key, body: { model, input } });
  const holdsOf = (userId: string) =>
    queryRows<{ amount: string; actual: string | null }>(
      ledger().dataSource,
      `SELECT amount::text, actual::text FROM credit_holds WHERE user_id = $1 ORDER BY created_at`,
      [userId],
    );
  const settled = async (userId: string) => {
    for (let i = 0; i < 300; i++) {
      const rows = await queryRows<{ n: string }>(
        ledger().dataSource,
        `SELECT count(*)::text AS n FROM credit_holds WHERE user_id = $1 AND status = 'open'`,
        [userId],
      );
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

  describe('prices the base ones cannot express, billed and held', () => {
    type Answer = {
      usage: { prompt_tokens: number; completion_tokens: number; cost: number; prompt_tokens_details?: Record<string, number> };
      service_tier?: string;
    };
    const chatCall = (key: string, body: Record<string, unknown>) => call<Answer>(s.t, 'POST', '/api/v1/chat/completions', { key, body });
    /** ceil(tokens x USD per million) in nanodollars: the catalog's one rounding rule. */
    const part = (tokens: number, usdPerMillion: number) => (BigInt(tokens) * usdToNanos(usdPerMillion) + 999_999n) / 1_000_000n;

    it('Gemini 2.5 Pro above 200k prompt tokens: the long-context prices', async () => {
      const { user, key } = await s.payer(5);
      const res = await chatCall(key, {
        model: 'google/gemini-2.5-pro',
        messages: [{ role: 'user', content: 'abcd'.repeat(210_000) }],
        max_tokens: 200,
      });
      expect(res.status).toBe(200);
      const { prompt_tokens: prompt, completion_tokens: completion } = res.body.usage;
      expect(prompt).toBeGreaterThan(200_000);
      const expected = part(prompt, 2.5) + part(completion, 15);
      expect(res.body.usage.cost).toBe(nanosToUsd(expected));
      await settled(user.id);
      expect(BigInt((await holdsOf(user.id))[0].actual!)).toBe(expected);
    });

    it.each([
      ['1h', 6.0],
      ['5m', 3.75],
    ])('Claude Sonnet 4 cache writes with ttl %s: that cache price', async (ttl, price) => {
      const { user, key } = await s.payer(5);
      const res = await chatCall(key, {
        model: 'anthropic/claude-sonnet-4',
        messages: [{ role: 'user', content: 'context '.repeat(5000) }],
        max_tokens: 100,
        cache_control: { type: 'ephemeral', ttl },
      });
      expect(res.status).toBe(200);
      const { prompt_tokens: prompt, completion_tokens: completion, prompt_tokens_details: details } = res.body.usage;
      expect(details?.cache_write_tokens).toBe(prompt);
      const expected = part(prompt, price) + part(completion, 15);
      expect(res.body.usage.cost).toBe(nanosToUsd(expected));
      await settled(user.id);
      expect(BigInt((await holdsOf(user.id))[0].actual!)).toBe(expected);
    });

    it.each([false, true])('GPT-4.1 on the priority service tier: priority prices (stream: %s)', async (stream) => {
      const { user, key } = await s.payer(5);
      const body = {
        model: 'openai/gpt-4.1',
        messages: [{ role: 'user', content: 'word '.repeat(2000) }],
        max_tokens: 100,
        service_tier: 'priority',
        stream,
        stream_options: stream ? { include_usage: true } : undefined,
      };
      let usage: Answer['usage'];
      if (stream) {
        const res = await fetch(`${s.t.url}/api/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        const chunks = (await res.text())
          .split('\n')
          .filter((l) => l.startsWith('data: {'))
          .map((l) => JSON.parse(l.slice(6)) as { usage?: Answer['usage']; service_tier?: string });
        expect(chunks[0].service_tier).toBe('priority');
        usage = chunks.find((c) => c.usage)!.usage!;
      } else {
        const res = await chatCall(key, body);
        expect(res.status).toBe(200);
        expect(res.body.service_tier).toBe('priority');
        usage = res.body.usage;
      }
      const expected = part(usage.prompt_tokens, 3.5) + part(usage.completion_tokens, 14);
      expect(usage.cost).toBe(nanosToUsd(expected));
      await settled(user.id);
      expect(BigInt((await holdsOf(user.id))[0].actual!)).toBe(expected);
    });

    it.each([false, true])(
      'GPT-4.1 asked for auto and served at priority: held and billed at priority prices (stream: %s)',
      async (stream) => {
        const { user, key } = await s.payer(5);
        const body = {
          model: 'openai/gpt-4.1',
          messages: [{ role: 'user', content: 'word '.repeat(2000) }],
          max_tokens: 100,
          service_tier: 'auto',
          stream,
          stream_options: stream ? { include_usage: true } : undefined,
        };
        s.fakes.openai.autoTier = 'priority';
        let usage: Answer['usage'];
        try {
          if (stream) {
            const res = await fetch(`${s.t.url}/api/v1/chat/completions`, {
              method: 'POST',
              headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
              body: JSON.stringify(body),
            });
            const chunks = (await res.text())
              .split('\n')
              .filter((l) => l.startsWith('data: {'))
              .map((l) => JSON.parse(l.slice(6)) as { usage?: Answer['usage']; service_tier?: string });
            expect(chunks[0].service_tier).toBe('priority');
            usage = chunks.find((c) => c.usage)!.usage!;
          } else {
            const res = await chatCall(key, body);
            expect(res.status).toBe(200);
            expect(res.body.service_tier).toBe('priority');
            usage = res.body.usage;
          }
        } finally {
          s.fakes.openai.autoTier = 'default';
        }
        // The provider's bill at priority prices, not the base-price hold it would be capped at.
        const expected = part(usage.prompt_tokens, 3.5) + part(usage.completion_tokens, 14);
        expect(usage.cost).toBe(nanosToUsd(expected));
        await settled(user.id);
        const [hold] = await holdsOf(user.id);
        expect(BigInt(hold.amount)).toBeGreaterThanOrEqual(expected);
        expect(BigInt(hold.actual!)).toBe(expected);
      },
    );

    it('GPT-4.1 without a service_tier is held at the default tier, below the same request asking for auto', async () => {
      const { user, key } = await s.payer(5);
      const body = { model: 'openai/gpt-4.1', messages: [{ role: 'user', content: 'word '.repeat(2000) }], max_tokens: 100 };
      expect((await chatCall(key, body)).status).toBe(200);
      expect((await chatCall(key, { ...body, service_tier: 'auto' })).status).toBe(200);
      await settled(user.id);
      const [absent, auto] = await holdsOf(user.id);
      // The default tier's prices: 2 and 8 USD per million against priority's 3.5 and 14.
      expect(BigInt(absent.amount) * 35n).toBe(BigInt(auto.amount) * 20n);
      expect(BigInt(absent.actual!)).toBe(BigInt(auto.actual!));
    });
  });

  describe('the hold covers what the provider bills for every kind of input', () => {
    /** A PNG as far as its size goes (signature and IHDR): what a provider reads to price an image. */
    const png = (width: number, height: number) => {
      const ihdr = Buffer.alloc(25);
      ihdr.writeUInt32BE(13, 0);
      ihdr.write('IHDR', 4, 'latin1');
      ihdr.writeUInt32BE(width, 8);
      ihdr.writeUInt32BE(height, 12);
      ihdr.set([8, 2, 0, 0, 0], 16);
      return `data:image/png;base64,${Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ihdr]).toString('base64')}`;
    };
    const user = (content: unknown) => [{ role: 'user', content }];
    const cases: [string, Record<string, unknown>][] = [
      [
        'a response_format schema',
        {
          messages: user('hi'),
          response_format: {
            type: 'json_schema',
            json_schema: { name: 'big', schema: { type: 'object', description: 'x'.repeat(40_000) } },
          },
        },
      ],
      [
        'tools',
        {
          messages: user('hi'),
          tools: [{ type: 'function', function: { name: 'f', description: 'y'.repeat(40_000), parameters: { type: 'object' } } }],
        },
      ],
      [
        'high-detail images',
        {
          messages: user([
            { type: 'text', text: 'compare' },
            ...Array.from({ length: 4 }, () => ({ type: 'image_url', image_url: { url: png(2048, 768), detail: 'high' } })),
          ]),
        },
      ],
      ['a predicted output', { messages: user('hi'), prediction: { type: 'content', content: 'z'.repeat(40_000) } }],
    ];

    it.each(cases)('%s', async (_name, extra) => {
      const { user: payer, key } = await s.payer(5);
      const res = await call<{ usage: { prompt_tokens: number; completion_tokens: number; cost: number } }>(
        s.t,
        'POST',
        '/api/v1/chat/completions',
        {
          key,
          body: { model: 'openai/gpt-4.1', max_tokens: 20, ...extra },
        },
      );
      expect(res.status).toBe(200);
      const { prompt_tokens: prompt, completion_tokens: completion } = res.body.usage;
      const part = (tokens: number, usdPerMillion: number) => (BigInt(tokens) * usdToNanos(usdPerMillion) + 999_999n) / 1_000_000n;
      const billed = part(prompt, 2) + part(completion, 8);
      // The provider's bill, not the hold it would otherwise be capped at.
      expect(res.body.usage.cost).toBe(nanosToUsd(billed));
      await settled(payer.id);
      const [hold] = await holdsOf(payer.id);
      expect(BigInt(hold.amount)).toBeGreaterThanOrEqual(billed);
      expect(BigInt(hold.actual!)).toBe(billed);
    });

    // GPT-4o-mini counts an image's tokens about 33 times as gpt-4o does (2833 + 5667 a 512px tile).
    const miniImages: [string, unknown][] = [
      ['a high-detail image', { type: 'image_url', image_url: { url: png(2048, 768), detail: 'high' } }],
      ['a small low-detail image', { type: 'image_url', image_url: { url: png(100, 100), detail: 'low' } }],
      ['an image by URL (size unknown)', { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }],
    ];
    it.each(miniImages)('GPT-4o-mini: %s, at its own image token counts', async (_name, image) => {
      const { user: payer, key } = await s.payer(5);
      const res = await call<{ usage: { prompt_tokens: number; completion_tokens: number; cost: number } }>(
        s.t,
        'POST',
        '/api/v1/chat/completions',
        {
          key,
          body: { model: 'openai/gpt-4o-mini', max_tokens: 20, messages: user([{ type: 'text', text: 'describe' }, image]) },
        },
      );
      expect(res.status).toBe(200);
      const { prompt_tokens: prompt, completion_tokens: completion } = res.body.usage;
      expect(prompt).toBeGreaterThanOrEqual(2833);
      const part = (tokens: number, usdPerMillion: number) => (BigInt(tokens) * usdToNanos(usdPerMillion) + 999_999n) / 1_000_000n;
      const billed = part(prompt, 0.15) + part(completion, 0.6);
      expect(res.body.usage.cost).toBe(nanosToUsd(billed));
      await settled(payer.id);
      const [hold] = await holdsOf(payer.id);
      expect(BigInt(hold.amount)).toBeGreaterThanOrEqual(billed);
      expect(BigInt(hold.actual!)).toBe(billed);
    });
  });

  describe('a frozen or owing user is refused on every paid endpoint, and on free ones too', () => {
    const chat = (key: string, model: string) =>
      call(s.t, 'POST', '/api/v1/chat/completions', { key, body: { model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 16 } });
    const cases: [string, (key: string) => Promise<{ status: number }>][] = [
      ['embeddings', (key) => embed(key, 'openai/text-embedding-3-small', 'hello')],
      ['chat with max_tokens', (key) => chat(key, 'openai/gpt-4o-mini')],
      [
        'chat without max_tokens',
        (key) =>
          call(s.t, 'POST', '/api/v1/chat/completions', {
            key,
            body: { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
          }),
      ],
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
