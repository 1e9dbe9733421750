import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCatalogFile } from '../../src/catalog/catalog-file';
import { usdToNanos } from '../../src/common/money/money';
import { CreditsService } from '../../src/credits/credits.service';
import { startFakeAnthropic } from './fake-upstreams/anthropic';
import { FakeThinkingUpstream } from './fake-upstreams/common';
import { startFakeGemini } from './fake-upstreams/gemini';
import { FakeOpenAiUpstream, startFakeOpenAi } from './fake-upstreams/openai';
import { createKey, signUp, SignedUpUser } from './factories';
import { createTestApp, TestApp, TestAppOptions } from './test-app';

export const SHIPPED_CATALOG = join(__dirname, '../../src/catalog/default-catalog.yaml');

export interface ShippedCatalogApp {
  t: TestApp;
  fakes: { openai: FakeOpenAiUpstream; anthropic: FakeThinkingUpstream; gemini: FakeThinkingUpstream };
  /** A new user with `credits` USD and a key. */
  payer(credits: number): Promise<{ user: SignedUpUser; key: string; hash: string }>;
  close(): Promise<void>;
}

/**
 * The app booted on the shipped catalog (src/catalog/default-catalog.yaml, read by the real
 * loader) with only each provider's `base_url` pointed at a local fake of its adapter kind, so
 * endpoints keep the shapes, prices and limits operators get.
 */
export async function startShippedCatalogApp(options: TestAppOptions = {}): Promise<ShippedCatalogApp> {
  const fakes = { openai: await startFakeOpenAi(), anthropic: await startFakeAnthropic(), gemini: await startFakeGemini() };
  const urls: Record<string, string> = { openai: fakes.openai.url, anthropic: fakes.anthropic.url, gemini: fakes.gemini.url };
  let adapter = '';
  const text = readFileSync(SHIPPED_CATALOG, 'utf8')
    .split('\n')
    .map((line) => {
      const a = /^\s+adapter: (\w+)/.exec(line);
      if (a) adapter = a[1];
      const b = /^(\s+)base_url: /.exec(line);
      return b ? `${b[1]}base_url: "${urls[adapter]}"` : line;
    })
    .join('\n');
  const file = join(mkdtempSync(join(tmpdir(), 'sy-shipped-')), 'catalog.yaml');
  writeFileSync(file, text);
  const keyEnv = Object.fromEntries(readCatalogFile(file).providers.flatMap((p) => (p.apiKeyEnv ? [[p.apiKeyEnv, `sk-${p.slug}`]] : [])));
  const t = await createTestApp({ ...options, env: { CATALOG_FILE: file, RATE_LIMIT_KEY_RPM: '0', ...keyEnv, ...options.env } });
  return {
    t,
    fakes,
    payer: async (credits) => {
      const user = await signUp(t, 'shipped');
      if (credits > 0) await t.get(CreditsService).grant(user.id, usdToNanos(credits), 'test');
      const k = await createKey(t, { cookie: user.cookie });
      return { user, key: k.key, hash: k.hash };
    },
    close: async () => {
      await t.close();
      await Promise.all(Object.values(fakes).map((f) => f.close()));
    },
  };
}
