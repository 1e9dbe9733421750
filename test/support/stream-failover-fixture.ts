import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { usdToNanos } from '../../src/common/money/money';
import { CreditsService } from '../../src/credits/credits.service';
import { LedgerService } from '../../src/credits/ledger.service';
import type { GenerationDto } from '../../src/usage/dto/generation.dto';
import { createKey, signUp } from './factories';
import type { FakeUpstream } from './fake-upstreams/common';
import { startFakeAnthropic } from './fake-upstreams/anthropic';
import { startFakeStory } from './fake-upstreams/story';
import { createTestApp, TestApp } from './test-app';

/** A parsed SSE data line; its shape varies by chunk kind. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type StreamEvent = Record<string, any>;
/**
 * A gateway on one story fake (test/support/fake-upstreams/story.ts) under three provider names:
 * `prime` (the first endpoint, where the faults are), `cont` (a fallback that continues a prefill)
 * and `plain` (one that does not). Models are named for the failure they script.
 */
export interface StreamFailoverFixture {
  t: TestApp;
  key: string;
  userId: string;
  client: OpenAI;
  story: FakeUpstream;
  /** The Anthropic fake behind provider `claude` (its `story` model continues a prefill). */
  anthropic: FakeUpstream;
  /** The requests the fake saw for an upstream model name. */
  seenBy(upstreamModel: string): FakeUpstream['seen'];
  close(): Promise<void>;
}

const ep = (provider: string, upstream: string, prices: [number, number], prefill = false) => `
      - provider: ${provider}
        upstream_model: ${upstream}
        pricing: { prompt: ${prices[0]}, completion: ${prices[1]} }
        max_completion_tokens: 4096${prefill ? '\n        prefill: true' : ''}`;

const model = (id: string, endpoints: string) => `
  - id: ${id}
    name: ${id}
    created: 1700000000
    context_length: 32000
    endpoints:${endpoints}`;

/** The models: `fo/<name>`, the prime endpoint first, then the fallbacks. */
const MODELS: [string, string][] = [
  ['fo/cut', ep('prime', 'sever-at-40', [1, 2]) + ep('cont', 'prefix', [2, 4], true)],
  [
    'fo/cut-twice',
    ep('prime', 'sever-at-20', [1, 2]) + ep('cont', 'prefix-sever-at-15', [2, 4], true) + ep('plain', 'prefix-b', [2, 4], true),
  ],
  ['fo/error-503', ep('prime', 'error-503-at-30', [1, 2]) + ep('cont', 'prefix', [2, 4], true)],
  ['fo/error-400', ep('prime', 'error-400-at-30', [1, 2]) + ep('cont', 'prefix', [2, 4], true)],
  ['fo/ends-early', ep('prime', 'end-at-40', [1, 2]) + ep('cont', 'prefix', [2, 4], true)],
  ['fo/cut-only', ep('prime', 'sever-at-40', [1, 2])],
  ['fo/cut-solo', ep('prime', 'sever-at-40-solo', [1, 2])],
  ['fo/story-prefix', ep('cont', 'prefix-solo', [2, 4], true)],
  ['fo/cut-no-prefill', ep('prime', 'sever-at-40', [1, 2]) + ep('plain', 'rejects-prefill', [2, 4])],
  ['fo/cut-lying-prefill', ep('prime', 'sever-at-40', [1, 2]) + ep('plain', 'rejects-prefill-marked', [2, 4], true)],
  ['fo/empty-first', ep('prime', 'end-at-0', [1, 2]) + ep('plain', 'rejects-prefill', [2, 4])],
  ['fo/stall', ep('prime', 'stall-at-40-30000', [1, 2]) + ep('cont', 'prefix', [2, 4], true)],
  ['fo/stall-only', ep('prime', 'stall-at-40-30000-only', [1, 2])],
  ['fo/malformed', ep('prime', 'malformed-at-20', [1, 2]) + ep('cont', 'prefix', [2, 4], true)],
  ['fo/no-done', ep('prime', 'no-done', [1, 2]) + ep('cont', 'prefix', [2, 4], true)],
  ['fo/story', ep('prime', 'plain-story', [1, 2])],
  ['fo/cut-to-claude', ep('prime', 'sever-at-40', [1, 2]) + ep('claude', 'claude-story', [3, 15], true)],
];

export async function startStreamFailoverFixture(env: Record<string, string> = {}): Promise<StreamFailoverFixture> {
  const story = await startFakeStory();
  const anthropic = await startFakeAnthropic();
  const dir = mkdtempSync(join(tmpdir(), 'sy-failover-'));
  const file = join(dir, 'catalog.yaml');
  const providers = ['prime', 'cont', 'plain']
    .map(
      (slug) =>
        `  - { slug: ${slug}, name: ${slug[0].toUpperCase()}${slug.slice(1)}, adapter: openai, base_url: "${story.url}", api_key_env: FAKE_STORY_KEY, data_policy: { zdr: false, training: false } }`,
    )
    .join('\n')
    .concat(
      `\n  - { slug: claude, name: Claude, adapter: anthropic, base_url: "${anthropic.url}", api_key_env: FAKE_STORY_KEY, data_policy: { zdr: false, training: false } }`,
    );
  writeFileSync(file, `providers:\n${providers}\nmodels:${MODELS.map(([id, eps]) => model(id, eps)).join('')}\n`);
  const t = await createTestApp({ env: { CATALOG_FILE: file, FAKE_STORY_KEY: 'sk-story', RATE_LIMIT_KEY_RPM: '0', ...env } });
  const user = await signUp(t, 'failover');
  await t.get(CreditsService).grant(user.id, usdToNanos(100), 'test credit');
  const { key } = await createKey(t, { cookie: user.cookie }, { name: 'failover tests' });
  const client = new OpenAI({ apiKey: key, baseURL: `${t.url}/api/v1`, maxRetries: 0, timeout: 120_000 });
  return {
    t,
    key,
    userId: user.id,
    client,
    story,
    anthropic,
    seenBy: (upstreamModel) => story.seen.filter((s) => s.body?.model === upstreamModel),
    close: async () => {
      await t.close();
      await story.close();
      await anthropic.close();
    },
  };
}

/**
 * The endpoints in catalog order: default routing shuffles by price and puts an endpoint that just
 * failed last, and these tests make the first one fail on purpose.
 */
export const IN_ORDER = { order: ['prime', 'cont', 'plain', 'claude'] };

/** A raw streamed chat completion: its SSE data lines, parsed ([DONE] kept as the string). */
export async function rawStream(
  f: StreamFailoverFixture,
  body: Record<string, unknown>,
): Promise<{ gen: string; events: (StreamEvent | string)[] }> {
  const res = await fetch(`${f.t.url}/api/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${f.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      messages: [{ role: 'user', content: 'Tell the story.' }],
      ...body,
      provider: { ...IN_ORDER, ...(body.provider as object) },
      stream: true,
    }),
  });
  expect(res.status).toBe(200);
  const text = await res.text();
  const events = text
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => l.slice(6))
    .map((d) => (d === '[DONE]' ? d : (JSON.parse(d) as Record<string, unknown>)));
  return { gen: res.headers.get('x-generation-id')!, events };
}

/** The text of a stream's content deltas. */
export const contentOf = (events: (StreamEvent | string)[]) =>
  events
    .filter((e): e is StreamEvent => typeof e !== 'string')
    .map((e) => e.choices?.[0]?.delta?.content ?? '')
    .join('');

/** The generation record of a request, once the queue has written it. */
export async function generationOf(f: StreamFailoverFixture, id: string): Promise<GenerationDto> {
  const until = Date.now() + 20_000;
  for (;;) {
    const res = await fetch(`${f.t.url}/api/v1/generation?id=${id}`, { headers: { authorization: `Bearer ${f.key}` } });
    if (res.status === 200) return ((await res.json()) as { data: GenerationDto }).data;
    if (Date.now() > until) throw new Error(`no generation record for ${id} (HTTP ${res.status})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** ledger:check, once nothing is left to settle. */
export async function ledgerProblems(f: StreamFailoverFixture): Promise<string[]> {
  return f.t.get(LedgerService).check();
}
