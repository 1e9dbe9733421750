import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryRows } from '../../src/common/database/sql';
import { usdToNanos } from '../../src/common/money/money';
import { CreditsService } from '../../src/credits/credits.service';
import { LedgerService } from '../../src/credits/ledger.service';
import { call, createKey, JsonResponse, signUp, SignedUpUser } from './factories';
import type { FakeUpstream } from './fake-upstreams/common';
import { FaultProxy, startFaultProxy } from './fake-upstreams/faults';
import { startFakeOpenAi } from './fake-upstreams/openai';
import { createTestApp, TestApp } from './test-app';

type Body = Record<string, unknown>;

/** What the failover tests read from an answer or an error. */
export interface ChatAnswer {
  id?: string;
  model?: string;
  provider?: string;
  choices?: { message: { content: string } }[];
  usage?: { prompt_tokens: number; completion_tokens: number; cost: number };
  error?: { code: number; message: string; metadata: Body };
}

export interface StreamAnswer {
  status: number;
  headers: Headers;
  /** The data of each event, `[DONE]` included; JSON bodies for an error answer. */
  events: string[];
  content: string;
  body: ChatAnswer | null;
}

export interface GenerationRow {
  model: string;
  provider_name: string;
  tokens_prompt: number;
  tokens_completion: number;
  cost_nanos: string;
  attempts: { provider_name: string; status: number | null; error: string | null }[];
}

/** Prices (USD per million tokens) of the test endpoints: the catalog's second provider is dear, so routing prefers the primary. */
export const PRICES = {
  primary: { prompt: 1, completion: 2 },
  second: { prompt: 40, completion: 80 },
  backup: { prompt: 2, completion: 4 },
};

export interface FailoverFixture {
  t: TestApp;
  user: SignedUpUser;
  key: string;
  upstream: FakeUpstream;
  /** Provider "Prime" (slug prime): the primary endpoint of every group. */
  prime: FaultProxy;
  /** Provider "Second" (slug second): the catalog's second provider, and the `models` fallbacks. */
  second: FaultProxy;
  chat(body: Body): Promise<JsonResponse<ChatAnswer>>;
  stream(body: Body): Promise<StreamAnswer>;
  /** The generation record of a request (waits for it: the finisher writes it after the answer). */
  generation(id: string): Promise<GenerationRow>;
  ledgerProblems(): Promise<unknown[]>;
  close(): Promise<void>;
}

/**
 * Per group `g` (each test its own, so that one test's endpoint health does not steer another's):
 * `g/dual` served by Prime and, dearer, by Second (a second provider in the catalog); `g/primary`
 * by Prime alone and `g/backup` by Second alone (fallbacks as a `models` list); `g/small` (Prime)
 * and `g/small-too` (Second) with a 2000-token context, `g/large` (Second) with 100000.
 */
export function failoverCatalog(groups: string[], prime: string, second: string): string {
  const ep = (provider: string, upstream: string, price: { prompt: number; completion: number }) => `
      - provider: ${provider}
        upstream_model: ${upstream}
        pricing: { prompt: ${price.prompt}, completion: ${price.completion} }
        max_completion_tokens: 1000
        supported_parameters: [temperature, max_tokens, stop]`;
  const model = (id: string, context: number, endpoints: string) => `
  - id: ${id}
    name: ${id}
    description: failover test model
    created: 1700000000
    context_length: ${context}
    input_modalities: [text]
    output_modalities: [text]
    kind: chat
    endpoints:${endpoints}`;
  const models = groups.map(
    (g) =>
      model(`${g}/dual`, 32000, ep('prime', `${g}-dual-p`, PRICES.primary) + ep('second', `${g}-dual-s`, PRICES.second)) +
      model(`${g}/primary`, 32000, ep('prime', `${g}-primary`, PRICES.primary)) +
      model(`${g}/backup`, 32000, ep('second', `${g}-backup`, PRICES.backup)) +
      model(`${g}/small`, 2000, ep('prime', `${g}-small`, PRICES.primary)) +
      model(`${g}/small-too`, 2000, ep('second', `${g}-small-too`, PRICES.backup)) +
      model(`${g}/large`, 100000, ep('second', `${g}-large`, PRICES.backup)),
  );
  return `providers:
  - { slug: prime, name: Prime, adapter: openai, base_url: "${prime}", api_key_env: FAKE_PRIME_KEY, data_policy: { zdr: false, training: false } }
  - { slug: second, name: Second, adapter: openai, base_url: "${second}", api_key_env: FAKE_SECOND_KEY, data_policy: { zdr: false, training: false } }
models:${models.join('')}
`;
}

function parseEvents(text: string): string[] {
  return text
    .split('\n\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => e.slice(6));
}

/** The app on a catalog of two providers, each a fault proxy in front of the same fake OpenAI upstream. */
export async function startFailoverFixture(options: { groups: string[]; env?: Record<string, string> }): Promise<FailoverFixture> {
  const upstream = await startFakeOpenAi();
  const prime = await startFaultProxy(upstream);
  const second = await startFaultProxy(upstream);
  const dir = mkdtempSync(join(tmpdir(), 'sy-failover-'));
  const file = join(dir, 'catalog.yaml');
  writeFileSync(file, failoverCatalog(options.groups, prime.url, second.url));
  const t = await createTestApp({
    env: { CATALOG_FILE: file, FAKE_PRIME_KEY: 'sk-prime', FAKE_SECOND_KEY: 'sk-second', RATE_LIMIT_KEY_RPM: '0', ...options.env },
  });
  const user = await signUp(t, 'failover');
  await t.get(CreditsService).grant(user.id, usdToNanos(100), 'test credit');
  const { key } = await createKey(t, { cookie: user.cookie }, { name: 'failover tests' });
  const messages = [{ role: 'user', content: 'Say hello.' }];
  return {
    t,
    user,
    key,
    upstream,
    prime,
    second,
    chat: (body) => call<ChatAnswer>(t, 'POST', '/api/v1/chat/completions', { key, body: { messages, max_tokens: 50, ...body } }),
    stream: async (body) => {
      const res = await fetch(`${t.url}/api/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ messages, max_tokens: 50, stream: true, ...body }),
      });
      const text = await res.text();
      const json = res.headers.get('content-type')?.includes('application/json');
      const events = json ? [] : parseEvents(text);
      const content = events
        .filter((e) => e !== '[DONE]')
        .map((e) => (JSON.parse(e) as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta?.content ?? '')
        .join('');
      return { status: res.status, headers: res.headers, events, content, body: json ? (JSON.parse(text) as ChatAnswer) : null };
    },
    generation: async (id) => {
      const ds = t.get(LedgerService).dataSource;
      for (let i = 0; ; i++) {
        const rows = await queryRows<GenerationRow>(
          ds,
          `SELECT model, provider_name, tokens_prompt, tokens_completion, cost_nanos::text, attempts FROM generations WHERE id = $1`,
          [id],
        );
        if (rows.length > 0 || i >= 200) return rows[0];
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    ledgerProblems: () => t.get(LedgerService).check(),
    close: async () => {
      await t.close();
      await Promise.all([prime.close(), second.close(), upstream.close()]);
    },
  };
}
