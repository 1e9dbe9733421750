import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { queryRows } from '../../src/common/database/sql';
import { usdToNanos } from '../../src/common/money/money';
import { CreditsService } from '../../src/credits/credits.service';
import { LedgerService } from '../../src/credits/ledger.service';
import { createKey, signUp } from '../support/factories';
import { FakeUpstream, startFakeOpenAi } from '../support/fake-upstreams/openai';
import { createTestApp, TestApp } from '../support/test-app';

const SHIPPED = join(__dirname, '..', '..', 'src', 'catalog', 'default-catalog.yaml');

interface CatalogFile {
  providers: { slug: string; base_url: string }[];
  models: { id: string; kind?: string; endpoints: { provider: string; upstream_model: string; pricing: { prompt: number; completion: number } }[] }[];
}

/** The shipped catalog as it is, but for OpenAI's base URL, which points at the fake. */
function shippedCatalogOn(openai: FakeUpstream): { file: string; catalog: CatalogFile } {
  const catalog = parse(readFileSync(SHIPPED, 'utf8')) as CatalogFile;
  for (const p of catalog.providers) if (p.slug === 'openai') p.base_url = openai.url;
  const dir = mkdtempSync(join(tmpdir(), 'sy-shipped-'));
  const file = join(dir, 'catalog.yaml');
  writeFileSync(file, stringify(catalog));
  return { file, catalog };
}

/** ceil(tokens x USD per million), in nanodollars, as the catalog's prices are applied. */
const priced = (tokens: number, usdPerMillion: number) => (BigInt(tokens) * usdToNanos(usdPerMillion) + 999_999n) / 1_000_000n;

describe("the shipped catalog's OpenAI reasoning endpoints, billed through the real catalog loader", () => {
  let t: TestApp;
  let fake: FakeUpstream;
  let file: string;
  let reasoning: { id: string; prompt: number; completion: number }[];

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    const shipped = shippedCatalogOn(fake);
    file = shipped.file;
    // OpenAI's o-series models hide their reasoning over chat completions and bill it.
    reasoning = shipped.catalog.models.flatMap((m) =>
      m.endpoints.filter((e) => e.provider === 'openai' && /^o\d/.test(e.upstream_model)).map((e) => ({ id: m.id, prompt: e.pricing.prompt, completion: e.pricing.completion })),
    );
    t = await createTestApp({ env: { CATALOG_FILE: file, OPENAI_API_KEY: 'sk-test', RATE_LIMIT_KEY_RPM: '0' } });
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
    rmSync(join(file, '..'), { recursive: true, force: true });
  });
  afterEach(async () => {
    expect(await t.get(LedgerService).check()).toEqual([]);
  });

  it('has reasoning endpoints to cover', () => {
    expect(reasoning.map((r) => r.id)).toContain('openai/o3-mini');
  });

  it('a client that hangs up right after the visible answer pays the hidden reasoning the provider bills', async () => {
    for (const m of reasoning) {
      const user = await signUp(t, 'reasoner');
      await t.get(CreditsService).grant(user.id, usdToNanos(5), 'test');
      const { key } = await createKey(t, { cookie: user.cookie });
      const res = await fetch(`${t.url}/api/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: m.id, messages: [{ role: 'user', content: 'hello there' }], stream: true, max_tokens: 4000 }),
      });
      expect(res.status).toBe(200);
      const gen = res.headers.get('x-generation-id')!;
      const reader = res.body!.getReader();
      let text = '';
      while (!text.includes('"finish_reason":"stop"')) text += new TextDecoder().decode((await reader.read()).value);
      await reader.cancel();
      // The fake bills 3 prompt tokens and 5 visible + 512 hidden reasoning tokens.
      const expected = priced(3, m.prompt) + priced(517, m.completion);
      const until = Date.now() + 10_000;
      let h: { status: string; actual: string | null } | undefined;
      while (Date.now() < until) {
        [h] = await queryRows<{ status: string; actual: string | null }>(t.get(LedgerService).dataSource, `SELECT status, actual::text FROM credit_holds WHERE id = $1`, [gen]);
        if (h?.status === 'settled') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect({ model: m.id, ...h }).toEqual({ model: m.id, status: 'settled', actual: expected.toString() });
    }
  });
});
