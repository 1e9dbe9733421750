import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { queryRows } from '../../src/common/database/sql';
import { usdToNanos } from '../../src/common/money/money';
import { LedgerService } from '../../src/credits/ledger.service';
import { SHIPPED_CATALOG, ShippedCatalogApp, startShippedCatalogApp } from '../support/shipped-catalog';

interface CatalogFile {
  models: {
    id: string;
    endpoints: {
      provider: string;
      upstream_model: string;
      pricing: { prompt: number; completion: number };
      supported_parameters?: string[];
    }[];
  }[];
}

interface Reasoner {
  id: string;
  prompt: number;
  completion: number;
}

/** The shipped catalog's endpoints of one provider whose upstream model matches, with their base prices. */
function shippedEndpoints(provider: string, test: (e: CatalogFile['models'][number]['endpoints'][number]) => boolean): Reasoner[] {
  const catalog = parse(readFileSync(SHIPPED_CATALOG, 'utf8')) as CatalogFile;
  return catalog.models.flatMap((m) =>
    m.endpoints
      .filter((e) => e.provider === provider && test(e))
      .map((e) => ({ id: m.id, prompt: e.pricing.prompt, completion: e.pricing.completion })),
  );
}

/** ceil(tokens x USD per million), in nanodollars, as the catalog's prices are applied. */
const priced = (tokens: number, usdPerMillion: number) => (BigInt(tokens) * usdToNanos(usdPerMillion) + 999_999n) / 1_000_000n;

/** OpenAI's o-series hide their reasoning over chat completions and bill it. */
const openaiReasoners = shippedEndpoints('openai', (e) => /^o\d/.test(e.upstream_model));
/** Gemini 2.5 thinks by default, sends none of it unless asked, and bills it. */
const geminiThinkers = shippedEndpoints('google-ai-studio', (e) => /^gemini-2\.5/.test(e.upstream_model));
/** Claude's thinking endpoints: Claude 4 streams a summary of its thinking and bills the whole. */
const claudeThinkers = shippedEndpoints('anthropic', (e) => (e.supported_parameters ?? []).includes('reasoning'));

const DRAIN_TIMEOUT_MS = 1500;

describe("the shipped catalog's reasoning endpoints, billed through the real catalog loader", () => {
  let s: ShippedCatalogApp;

  beforeAll(async () => {
    s = await startShippedCatalogApp({ env: { UPSTREAM_DRAIN_TIMEOUT_MS: String(DRAIN_TIMEOUT_MS) } });
  });
  afterAll(() => s.close());
  afterEach(async () => {
    s.fakes.gemini.thinking.usageDelayMs = 300;
    s.fakes.anthropic.thinking.usageDelayMs = 300;
    expect(await s.t.get(LedgerService).check()).toEqual([]);
  });

  /**
   * Streams a request and hangs up as soon as the stream shows `seenWhen`; the hold once it is
   * settled (the gateway reads on for the provider's bill meanwhile).
   */
  async function hangUpAfter(
    model: string,
    seenWhen: string,
    extra: Record<string, unknown> = {},
  ): Promise<{ model: string; status?: string; actual?: string | null; amount?: string }> {
    const { key } = await s.payer(5);
    const res = await fetch(`${s.t.url}/api/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hello there' }], stream: true, max_tokens: 4000, ...extra }),
    });
    expect(res.status).toBe(200);
    const gen = res.headers.get('x-generation-id')!;
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes(seenWhen)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the stream ended before ${seenWhen}: ${text}`);
      text += new TextDecoder().decode(value);
    }
    await reader.cancel();
    const until = Date.now() + DRAIN_TIMEOUT_MS + 10_000;
    let h: { status: string; actual: string | null; amount: string } | undefined;
    while (Date.now() < until) {
      [h] = await queryRows<{ status: string; actual: string | null; amount: string }>(
        s.t.get(LedgerService).dataSource,
        `SELECT status, actual::text, amount::text FROM credit_holds WHERE id = $1`,
        [gen],
      );
      if (h?.status === 'settled') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    return { model, ...h };
  }

  it('has reasoning endpoints of each family to cover', () => {
    expect(openaiReasoners.map((r) => r.id)).toContain('openai/o3-mini');
    expect(geminiThinkers.map((r) => r.id)).toEqual(expect.arrayContaining(['google/gemini-2.5-pro', 'google/gemini-2.5-flash']));
    expect(claudeThinkers.map((r) => r.id)).toEqual(expect.arrayContaining(['anthropic/claude-sonnet-4', 'anthropic/claude-opus-4']));
  });

  it('OpenAI o-series: a client that hangs up right after the visible answer pays the hidden reasoning the provider bills', async () => {
    for (const m of openaiReasoners) {
      const h = await hangUpAfter(m.id, '"finish_reason":"stop"');
      // The fake bills 3 prompt tokens and 5 visible + 512 hidden reasoning tokens.
      expect(h).toMatchObject({ model: m.id, status: 'settled', actual: (priced(3, m.prompt) + priced(517, m.completion)).toString() });
    }
  });

  it("Gemini 2.5's default thinking: a client that hangs up right after the visible answer pays the thoughts the provider bills", async () => {
    for (const m of geminiThinkers) {
      // The answer's text is all there; its finish reason and usage come 300 ms later.
      const h = await hangUpAfter(m.id, 'fake-gemini');
      // 3 prompt tokens; 3 visible and 512 thought tokens, never sent.
      expect(h).toMatchObject({ model: m.id, status: 'settled', actual: (priced(3, m.prompt) + priced(515, m.completion)).toString() });
    }
  });

  it("Claude's thinking: a client that hangs up right after the visible answer pays the whole thinking the provider bills", async () => {
    for (const m of claudeThinkers) {
      const h = await hangUpAfter(m.id, 'fake-anthropic', { reasoning: { effort: 'medium' } });
      // 3 prompt tokens; a 2-token summary of 514 thinking tokens, and 3 visible ones.
      expect(h).toMatchObject({ model: m.id, status: 'settled', actual: (priced(3, m.prompt) + priced(517, m.completion)).toString() });
    }
  });

  it.each([
    ['google/gemini-2.5-flash', 'fake-gemini', {}],
    ['anthropic/claude-sonnet-4', 'fake-anthropic', { reasoning: { effort: 'medium' } }],
  ])('%s: a drain that runs out before the usage bills the hold, not the count reported before the end', async (model, seenWhen, extra) => {
    s.fakes.gemini.thinking.usageDelayMs = DRAIN_TIMEOUT_MS + 2000;
    s.fakes.anthropic.thinking.usageDelayMs = DRAIN_TIMEOUT_MS + 2000;
    const h = await hangUpAfter(model, seenWhen, extra);
    expect(h.status).toBe('settled');
    expect(h.actual).toBe(h.amount);
  });
});
