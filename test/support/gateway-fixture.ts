import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { startFakeAnthropic } from './fake-upstreams/anthropic';
import { FakeUpstream } from './fake-upstreams/common';
import { startFakeGemini } from './fake-upstreams/gemini';
import { startFakeOpenAi } from './fake-upstreams/openai';
import { createKey, signUp, SignedUpUser } from './factories';
import { CreditsService } from '../../src/credits/credits.service';
import { LedgerService } from '../../src/credits/ledger.service';
import { usdToNanos } from '../../src/common/money/money';
import { createTestApp, TestApp, TestAppOptions } from './test-app';

export interface GatewayFixture {
  t: TestApp;
  /** The environment the app was booted with (catalog file, provider keys, ...), for spawning more gateways. */
  env: Record<string, string>;
  user: SignedUpUser;
  key: string;
  client: OpenAI;
  fakes: { a: FakeUpstream; b: FakeUpstream; anthropic: FakeUpstream; gemini: FakeUpstream };
  close(): Promise<void>;
}

// The fakes reason when asked, so the test endpoints list the reasoning controls (forEndpoint drops them otherwise).
const params =
  '[temperature, top_p, max_tokens, stop, seed, logprobs, top_logprobs, tools, tool_choice, response_format, structured_outputs, include_reasoning, reasoning]';

/**
 * A catalog of test models on local fake upstreams. Upstream model names carry the fakes' knobs
 * (fail-<status>, slow-<ms>, cut, long, no-usage). Prices in USD per million tokens.
 */
export function testCatalog(f: GatewayFixture['fakes']): string {
  const ep = (provider: string, upstream: string, prompt: number, completion: number, extra = '') => `
      - provider: ${provider}
        upstream_model: ${upstream}
        pricing: { prompt: ${prompt}, completion: ${completion} }
        max_completion_tokens: 4096
        supported_parameters: ${params}${extra}`;
  const model = (id: string, endpoints: string, kind = 'chat') => `
  - id: ${id}
    name: ${id}
    description: test model
    created: 1700000000
    context_length: 32000
    input_modalities: [text, image]
    output_modalities: [text]
    kind: ${kind}
    endpoints:${endpoints}`;
  return `providers:
  - { slug: alpha, name: Alpha, adapter: openai, base_url: "${f.a.url}", api_key_env: FAKE_ALPHA_KEY, data_policy: { zdr: false, training: true } }
  - { slug: beta, name: Beta, adapter: openai, base_url: "${f.b.url}", api_key_env: FAKE_BETA_KEY, data_policy: { zdr: true, training: false } }
  - { slug: claude-co, name: Claude Co, adapter: anthropic, base_url: "${f.anthropic.url}", api_key_env: FAKE_ANTHROPIC_KEY, data_policy: { zdr: false, training: false } }
  - { slug: gem-co, name: Gem Co, adapter: gemini, base_url: "${f.gemini.url}", api_key_env: FAKE_GEMINI_KEY, data_policy: { zdr: false, training: false } }
models:${model('test/chat', ep('alpha', 'chat-a', 1, 2) + ep('beta', 'chat-b', 2, 4))}${model('test/a-only', ep('alpha', 'chat-a', 1, 2))}${model(
    'test/fail-first',
    ep('alpha', 'fail-500', 1, 2) + ep('beta', 'chat-b', 2, 4),
  )}${model('test/limited-first', ep('alpha', 'fail-429', 1, 2) + ep('beta', 'chat-b', 2, 4))}${model(
    'test/slow-first',
    ep('alpha', 'slow-3000', 1, 2) + ep('beta', 'chat-b', 2, 4),
  )}${model('test/bad-request', ep('alpha', 'fail-400', 1, 2) + ep('beta', 'chat-b', 2, 4))}${model('test/all-fail', ep('alpha', 'fail-503', 1, 2) + ep('beta', 'fail-502', 2, 4))}${model(
    'test/cut',
    ep('alpha', 'cut', 1, 2) + ep('beta', 'chat-b', 2, 4),
  )}${model('test/long', ep('alpha', 'long', 1, 2))}${model('test/no-usage', ep('alpha', 'no-usage', 1, 2))}${model(
    'test/claude',
    ep('claude-co', 'claude-test', 3, 15),
  )}${model('test/gemini', ep('gem-co', 'gemini-test', 0.3, 2.5))}${model(
    'test/no-tools',
    `
      - provider: alpha
        upstream_model: chat-a
        pricing: { prompt: 1, completion: 2 }
        max_completion_tokens: 4096
        supported_parameters: [temperature, max_tokens]
      - provider: beta
        upstream_model: chat-b
        pricing: { prompt: 2, completion: 4 }
        max_completion_tokens: 4096
        supported_parameters: ${params}`,
  )}${model(
    'test/samplers',
    `
      - provider: alpha
        upstream_model: fail-500
        pricing: { prompt: 1, completion: 2 }
        max_completion_tokens: 4096
        supported_parameters: [temperature, top_k, min_p, max_tokens, tools]${ep('beta', 'chat-b', 2, 4)}`,
  )}${model(
    'test/unlisted-params',
    `
      - provider: alpha
        upstream_model: chat-a
        pricing: { prompt: 1, completion: 2 }
        max_completion_tokens: 4096`,
  )}${model('test/stream-error-first', ep('alpha', 'sse-error-503-at-0', 1, 2) + ep('beta', 'chat-b', 2, 4))}${model(
    'test/claude-overloaded-first',
    ep('claude-co', 'claude-overloaded-first', 3, 15) + ep('beta', 'chat-b', 2, 4),
  )}${model('test/stream-error-done-first', ep('alpha', 'sse-error-503-at-0-done', 1, 2) + ep('beta', 'chat-b', 2, 4))}${model('test/stream-ends-first', ep('alpha', 'sse-end-at-0', 1, 2) + ep('beta', 'chat-b', 2, 4))}${model(
    'test/stream-error-only',
    ep('alpha', 'sse-error-503-at-0', 1, 2),
  )}${model('test/stream-limited-only', ep('alpha', 'sse-error-429-at-0', 1, 2))}${model(
    'test/stream-error-late',
    ep('alpha', 'sse-error-503-at-2', 1, 2) + ep('beta', 'chat-b', 2, 4),
  )}${model('test/stream-limited-late', ep('alpha', 'sse-error-429-at-2', 1, 2) + ep('beta', 'chat-b', 2, 4))}${model(
    'test/stall',
    ep('alpha', 'stall-5000', 1, 2),
  )}${model('test/long-think', ep('alpha', 'think-300-gap-10', 0, 20))}${model('test/gappy', ep('alpha', 'gap-150', 1, 2))}${model('test/pricey-slow', ep('alpha', 'slow-400', 0, 20))}${model('test/pricey-full', ep('alpha', 'slow-300-bill-max', 0, 20))}${model(
    'test/pricey-long',
    ep('alpha', 'long', 0, 20),
  )}${model('test/pricey-long-slow', ep('alpha', 'long-gap-20', 0, 20))}${model('test/flood', ep('alpha', 'flood-30000-gap-0', 0, 20))}${model('test/embed', ep('alpha', 'embed-a', 0.02, 0), 'embedding')}${model('test/no-done', ep('alpha', 'no-done', 1, 2))}${model('test/hidden-think', ep('alpha', 'hidden-2000-usage-delay-500', 1, 20))}${model('test/slow-complete', ep('alpha', 'slow-1000', 1, 20))}${model('test/stall-short', ep('alpha', 'stall-800', 1, 20))}${model('test/gemini-embed', ep('gem-co', 'embed-g', 0.15, 0), 'embedding')}${model('test/claude-ends-early', ep('claude-co', 'claude-ends-early', 3, 15))}
`;
}

/** The app, booted on a catalog of fake upstreams, with a signed-up user, a key and an OpenAI client. */
export async function startGatewayFixture(options: TestAppOptions & { credits?: number } = {}): Promise<GatewayFixture> {
  const fakes = {
    a: await startFakeOpenAi(),
    b: await startFakeOpenAi(),
    anthropic: await startFakeAnthropic(),
    gemini: await startFakeGemini(),
  };
  const dir = mkdtempSync(join(tmpdir(), 'sy-catalog-'));
  const file = join(dir, 'catalog.yaml');
  const partial = { fakes } as unknown as GatewayFixture;
  writeFileSync(file, testCatalog(partial.fakes));
  const env = {
    CATALOG_FILE: file,
    FAKE_ALPHA_KEY: 'sk-alpha',
    FAKE_BETA_KEY: 'sk-beta',
    FAKE_ANTHROPIC_KEY: 'sk-ant',
    FAKE_GEMINI_KEY: 'gm-key',
    RATE_LIMIT_KEY_RPM: '0',
    STREAM_PROCESSING_AFTER_MS: '200',
    UPSTREAM_FIRST_BYTE_TIMEOUT_MS: '1500',
    UPSTREAM_NON_STREAMING_TIMEOUT_MS: '1500',
    ...options.env,
  };
  const t = await createTestApp({ ...options, env });
  const user = await signUp(t, 'gw');
  await t.get(CreditsService).grant(user.id, usdToNanos(options.credits ?? 100), 'test credit');
  const { key } = await createKey(t, { cookie: user.cookie }, { name: 'gateway tests' });
  const client = new OpenAI({ apiKey: key, baseURL: `${t.url}/api/v1`, maxRetries: 0, timeout: 20_000 });
  return {
    t,
    env,
    user,
    key,
    client,
    fakes,
    close: async () => {
      await t.close();
      await Promise.all(Object.values(fakes).map((f) => f.close()));
    },
  };
}

/**
 * The fixture of the describe block this is called in: started before its tests (handed to `use`),
 * the ledger checked after each test (ledger:check stays clean), closed after the block.
 */
export function gatewayFixtureForSuite(options: TestAppOptions & { credits?: number }, use: (f: GatewayFixture) => void): void {
  let f: GatewayFixture | undefined;
  beforeAll(async () => {
    f = await startGatewayFixture(options);
    use(f);
  });
  afterEach(async () => {
    expect(await f!.t.get(LedgerService).check()).toEqual([]);
  });
  afterAll(() => f?.close());
}
