import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import { parse } from 'yaml';
import { CatalogModule } from '../../src/catalog/catalog.module';
import { CatalogService } from '../../src/catalog/catalog.service';
import { loadConfig } from '../../src/common/config/app-config';
import { ConfigModule } from '../../src/common/config/config.module';
import { AppLogger, createRootLogger } from '../../src/common/logging/app-logger';
import { LoggingModule } from '../../src/common/logging/logging.module';
import { call } from '../support/factories';
import { createTestApp, TestApp } from '../support/test-app';
import { testEnv } from '../support/test-env';

const DEFAULT_FILE = join(__dirname, '..', '..', 'src', 'catalog', 'default-catalog.yaml');

interface Pricing {
  prompt: string;
  completion: string;
  request: string;
  image: string;
  input_cache_read?: string;
  input_cache_write?: string;
}
interface Model {
  id: string;
  canonical_slug: string;
  name: string;
  description: string;
  created: number;
  context_length: number;
  architecture: { modality: string; input_modalities: string[]; output_modalities: string[]; tokenizer: string; instruct_type: null };
  pricing: Pricing;
  top_provider: { context_length: number; max_completion_tokens: number | null; is_moderated: boolean };
  per_request_limits: null;
  supported_parameters: string[];
  default_parameters: null;
  supported_voices: null;
  links: { details: string };
}
interface ModelList {
  data: Model[];
  total_count: number;
  links: { next: string | null };
}
interface PublicEndpoint {
  name: string;
  model_id: string;
  provider_name: string;
  tag: string;
  context_length: number;
  max_completion_tokens: number | null;
  pricing: Pricing;
  quantization: string;
  supported_parameters: string[];
  supports_implicit_caching: boolean;
  status: number;
  uptime_last_5m: null;
}
interface EndpointsView {
  data: {
    id: string;
    name: string;
    created: number;
    description: string;
    architecture: Model['architecture'];
    endpoints: PublicEndpoint[];
  };
}

interface RawEndpoint {
  provider: string;
  variant?: 'free';
  pricing?: Record<string, number>;
}
interface RawModel {
  id: string;
  kind?: string;
  endpoints: RawEndpoint[];
}

/** USD per million as written in the YAML, divided by 1e6 by moving the decimal point (no floats). */
function perToken(perMillion: number | undefined): string {
  const [whole, frac = ''] = String(perMillion ?? 0).split('.');
  const digits = (whole + frac).replace(/^0+/, '') || '0';
  const scale = frac.length + 6;
  const padded = digits.padStart(scale + 1, '0');
  const result = `${padded.slice(0, -scale)}.${padded.slice(-scale)}`.replace(/\.?0+$/, '');
  return result === '' ? '0' : result;
}

describe('model catalog: /api/v1/models', () => {
  describe('the shipped catalog, with only OPENAI_API_KEY set', () => {
    let t: TestApp;
    const raw = parse(readFileSync(DEFAULT_FILE, 'utf8')) as { models: RawModel[] };

    beforeAll(async () => {
      t = await createTestApp({ env: { OPENAI_API_KEY: 'sk-test-openai' }, imports: [CatalogModule] });
    });
    afterAll(() => t.close());

    it('lists models in OpenRouter shape, priced per token from the per-million YAML prices', async () => {
      const res = await call<ModelList>(t, 'GET', '/api/v1/models');
      expect(res.status).toBe(200);
      expect(res.body.total_count).toBe(res.body.data.length);
      expect(res.body.links.next).toBeNull();

      const gpt4o = res.body.data.find((m) => m.id === 'openai/gpt-4o')!;
      expect(gpt4o).toEqual({
        id: 'openai/gpt-4o',
        canonical_slug: 'openai/gpt-4o',
        name: 'OpenAI: GPT-4o',
        description: expect.any(String),
        created: 1715558400,
        context_length: 128000,
        architecture: {
          modality: 'text+image+file->text',
          input_modalities: ['text', 'image', 'file'],
          output_modalities: ['text'],
          tokenizer: 'GPT',
          instruct_type: null,
        },
        pricing: { prompt: '0.0000025', completion: '0.00001', request: '0', image: '0', input_cache_read: '0.00000125' },
        top_provider: { context_length: 128000, max_completion_tokens: 16384, is_moderated: false },
        per_request_limits: null,
        supported_parameters: expect.arrayContaining(['temperature', 'tools', 'tool_choice', 'response_format']),
        default_parameters: null,
        supported_voices: null,
        links: { details: '/api/v1/models/openai/gpt-4o/endpoints' },
      });

      // Every listed price is one of the model's endpoint prices from the YAML, divided by a million.
      for (const m of res.body.data) {
        const [baseId, variant] = m.id.split(':');
        const rawModel = raw.models.find((r) => r.id === baseId)!;
        const candidates = rawModel.endpoints.filter((e) => (e.variant ?? null) === (variant ?? null));
        expect(candidates.length).toBeGreaterThan(0);
        const shown = candidates.map((e) => ({ prompt: perToken(e.pricing?.prompt), completion: perToken(e.pricing?.completion) }));
        expect(shown).toContainEqual({ prompt: m.pricing.prompt, completion: m.pricing.completion });
        expect(m.pricing.request).toBe('0');
      }
      // Anthropic bills cache writes: both cache prices are shown.
      const sonnet = res.body.data.find((m) => m.id === 'anthropic/claude-sonnet-4')!;
      expect(sonnet.pricing).toEqual({
        prompt: '0.000003',
        completion: '0.000015',
        request: '0',
        image: '0',
        input_cache_read: '0.0000003',
        input_cache_write: '0.00000375',
      });
    });

    it('lists a :free variant next to its model, at zero prices', async () => {
      const res = await call<ModelList>(t, 'GET', '/api/v1/models');
      const ids = res.body.data.map((m) => m.id);
      const base = ids.indexOf('meta-llama/llama-3.1-8b-instruct');
      expect(ids[base + 1]).toBe('meta-llama/llama-3.1-8b-instruct:free');
      expect(ids.filter((id) => id.endsWith(':free'))).toEqual(['meta-llama/llama-3.1-8b-instruct:free']);
      const free = res.body.data[base + 1];
      expect(free).toMatchObject({
        canonical_slug: 'meta-llama/llama-3.1-8b-instruct',
        name: 'Meta: Llama 3.1 8B Instruct (free)',
        pricing: { prompt: '0', completion: '0', request: '0', image: '0' },
        links: { details: '/api/v1/models/meta-llama/llama-3.1-8b-instruct:free/endpoints' },
      });
      // The paid entry is priced from its paid endpoints only.
      expect(res.body.data[base].pricing.prompt).not.toBe('0');
    });

    it('pages with offset and limit, and links.next walks the whole list', async () => {
      const all = (await call<ModelList>(t, 'GET', '/api/v1/models')).body;
      expect(all.data.length).toBeGreaterThan(10);

      const first = await call<ModelList>(t, 'GET', '/api/v1/models?limit=5');
      expect(first.status).toBe(200);
      expect(first.body.data.map((m) => m.id)).toEqual(all.data.slice(0, 5).map((m) => m.id));
      expect(first.body.total_count).toBe(all.total_count);
      expect(first.body.links.next).toBe('/api/v1/models?offset=5&limit=5');

      const walked: string[] = [];
      let next: string | null = '/api/v1/models?limit=4';
      while (next) {
        const page: { body: ModelList } = await call<ModelList>(t, 'GET', next);
        walked.push(...page.body.data.map((m) => m.id));
        next = page.body.links.next;
      }
      expect(walked).toEqual(all.data.map((m) => m.id));

      const tail = await call<ModelList>(t, 'GET', `/api/v1/models?offset=${all.total_count - 2}&limit=5`);
      expect(tail.body.data).toHaveLength(2);
      expect(tail.body.links.next).toBeNull();
      const past = await call<ModelList>(t, 'GET', `/api/v1/models?offset=${all.total_count + 10}`);
      expect(past.body).toEqual({ data: [], total_count: all.total_count, links: { next: null } });

      // Filters carry over into links.next.
      const filtered = await call<ModelList>(t, 'GET', '/api/v1/models?supported_parameters=tools&limit=2');
      expect(filtered.body.links.next).toBe('/api/v1/models?supported_parameters=tools&offset=2&limit=2');
    });

    it('GET /models/count counts what the listing shows for the same filters', async () => {
      for (const q of ['', '?output_modalities=all', '?supported_parameters=tools', '?q=gpt&limit=1']) {
        const list = await call<ModelList>(t, 'GET', `/api/v1/models${q}`);
        const count = await call<{ data: { count: number } }>(t, 'GET', `/api/v1/models/count${q}`);
        expect(count.body).toEqual({ data: { count: list.body.total_count } });
      }
      expect((await call(t, 'GET', '/api/v1/models/count?context=abc')).status).toBe(400);
    });

    it.each([
      ['limit=0', /limit/],
      ['limit=1001', /limit/],
      ['offset=-1', /offset/],
      ['limit=abc', /limit/],
      ['sort=price', /sort must be one of .*pricing-low-to-high/],
      ['context=abc', /context must be a non-negative integer/],
      ['min_price=-1', /min_price must be a non-negative number/],
      ['max_price=cheap', /max_price must be a non-negative number/],
      ['max_output_price=1e3', /max_output_price must be a non-negative number/],
      ['zdr=yes', /zdr must be true or false/],
      ['q=a&q=b', /q must be a string/],
    ])('refuses ?%s with 400', async (query, message) => {
      const res = await call<{ error: { code: number; message: string; metadata: { error_type: string } } }>(
        t,
        'GET',
        `/api/v1/models?${query}`,
      );
      expect(res.status).toBe(400);
      expect(res.body.error.metadata.error_type).toBe('validation_failed');
      expect(res.body.error.message).toMatch(message);
    });

    it('accepts limit=1000 and category', async () => {
      const res = await call<ModelList>(t, 'GET', '/api/v1/models?limit=1000&category=programming');
      expect(res.status).toBe(200);
      expect(res.body.links.next).toBeNull();
    });

    it('filters by supported_parameters: only models supporting all of them', async () => {
      const res = await call<ModelList>(t, 'GET', '/api/v1/models?supported_parameters=tools,structured_outputs');
      const ids = res.body.data.map((m) => m.id);
      expect(ids).toContain('openai/gpt-4o');
      expect(ids).not.toContain('deepseek/deepseek-r1');
      expect(ids).not.toContain('anthropic/claude-sonnet-4');
      for (const m of res.body.data) expect(m.supported_parameters).toEqual(expect.arrayContaining(['tools', 'structured_outputs']));
      expect(res.body.total_count).toBe(ids.length);

      const reasoning = (await call<ModelList>(t, 'GET', '/api/v1/models?supported_parameters=reasoning')).body.data.map((m) => m.id);
      expect(reasoning).toContain('anthropic/claude-sonnet-4');
      expect(reasoning).not.toContain('anthropic/claude-3.5-haiku');
    });

    describe('OpenRouter search filters and sorts', () => {
      const listed = (q: string) =>
        call<ModelList>(t, 'GET', `/api/v1/models${q}`).then((r) => {
          expect(r.status).toBe(200);
          return r.body;
        });
      const ids = (models: Model[]) => models.map((m) => m.id);
      const perMillion = (perToken: string) => Number(perToken) * 1e6;
      let all: Model[];
      beforeAll(async () => {
        all = (await listed('')).data;
      });

      it('ignores documented filters it has no data for, and unknown parameters', async () => {
        const res = await listed('?region=eu&distillable=true&use_rss=true&min_intelligence=50&no_such_filter=1');
        expect(ids(res.data)).toEqual(ids(all));
      });

      it('q matches the id or the name, case-insensitively', async () => {
        const res = await listed('?q=GPT-4');
        expect(ids(res.data)).toEqual(
          ids(all.filter((m) => m.id.toLowerCase().includes('gpt-4') || m.name.toLowerCase().includes('gpt-4'))),
        );
        expect(ids(res.data)).toContain('openai/gpt-4o');
        const byName = await listed('?q=sonnet');
        expect(ids(byName.data)).toEqual(['anthropic/claude-sonnet-4']);
        expect((await listed('?q=no-such-model')).data).toEqual([]);
      });

      it('context is a minimum context length', async () => {
        const res = await listed('?context=200000');
        expect(res.data.length).toBeGreaterThan(0);
        expect(ids(res.data)).toEqual(ids(all.filter((m) => m.context_length >= 200000)));
      });

      it('min_price / max_price bound the listed prompt price, *_output_price the completion price (USD per million, inclusive)', async () => {
        const between = await listed('?min_price=2.5&max_price=3');
        expect(ids(between.data)).toEqual(ids(all.filter((m) => perMillion(m.pricing.prompt) >= 2.5 && perMillion(m.pricing.prompt) <= 3)));
        expect(ids(between.data)).toEqual(expect.arrayContaining(['openai/gpt-4o', 'anthropic/claude-sonnet-4']));
        const cheapOutput = await listed('?max_output_price=1');
        expect(cheapOutput.data.length).toBeGreaterThan(0);
        expect(ids(cheapOutput.data)).toEqual(ids(all.filter((m) => perMillion(m.pricing.completion) <= 1)));
        expect(ids((await listed('?min_output_price=15')).data)).toEqual(ids(all.filter((m) => perMillion(m.pricing.completion) >= 15)));
      });

      it('model_authors and providers keep models by any of the listed authors / providers', async () => {
        const byAuthor = await listed('?model_authors=anthropic,Google');
        expect(ids(byAuthor.data)).toEqual(ids(all.filter((m) => m.id.startsWith('anthropic/') || m.id.startsWith('google/'))));
        expect(new Set(byAuthor.data.map((m) => m.id.split('/')[0]))).toEqual(new Set(['anthropic', 'google']));

        const byProvider = await listed('?providers=groq');
        const servedByGroq: string[] = [];
        for (const m of all) {
          const endpoints = (await call<EndpointsView>(t, 'GET', `/api/v1/models/${m.id}/endpoints`)).body.data.endpoints;
          if (endpoints.some((e) => e.tag.split('/')[0] === 'groq')) servedByGroq.push(m.id);
        }
        expect(servedByGroq.length).toBeGreaterThan(0);
        expect(ids(byProvider.data)).toEqual(servedByGroq);
      });

      it('zdr=true keeps models with a zero-data-retention endpoint (none in the shipped catalog)', async () => {
        expect(await listed('?zdr=true')).toEqual({ data: [], total_count: 0, links: { next: null } });
        expect(ids((await listed('?zdr=false')).data)).toEqual(ids(all));
      });

      it.each<[string, (m: Model) => number, 1 | -1]>([
        ['pricing-low-to-high', (m) => Number(m.pricing.prompt) + Number(m.pricing.completion), 1],
        ['pricing-high-to-low', (m) => Number(m.pricing.prompt) + Number(m.pricing.completion), -1],
        ['context-high-to-low', (m) => m.context_length, -1],
        ['newest', (m) => m.created, -1],
      ])('sort=%s orders the listing', async (sort, key, direction) => {
        const res = await listed(`?sort=${sort}`);
        expect([...ids(res.data)].sort()).toEqual([...ids(all)].sort());
        const keys = res.data.map(key);
        for (let i = 1; i < keys.length; i++) expect(direction * (keys[i] - keys[i - 1])).toBeGreaterThanOrEqual(-1e-15);
        expect(ids(res.data)).not.toEqual(ids(all));
      });

      it('sorts by data the catalog does not have keep the catalog order', async () => {
        expect(ids((await listed('?sort=throughput-high-to-low')).data)).toEqual(ids(all));
      });

      it('filters, sort and paging combine, and links.next carries them', async () => {
        const page = await listed('?q=gpt&sort=newest&context=100000&limit=1');
        const expected = all.filter((m) => m.id.includes('gpt') && m.context_length >= 100000).sort((a, b) => b.created - a.created);
        expect(page.total_count).toBe(expected.length);
        expect(ids(page.data)).toEqual([expected[0].id]);
        expect(page.links.next).toBe('/api/v1/models?sort=newest&q=gpt&context=100000&offset=1&limit=1');
      });
    });

    it('filters by modalities; embedding models only when asked for', async () => {
      const listed = (q: string) => call<ModelList>(t, 'GET', `/api/v1/models${q}`).then((r) => r.body.data);
      const text = await listed('');
      expect(text.map((m) => m.id)).not.toContain('openai/text-embedding-3-small');

      const embeddings = await listed('?output_modalities=embeddings');
      expect(embeddings.map((m) => m.id)).toEqual(['openai/text-embedding-3-small', 'openai/text-embedding-3-large']);
      expect(embeddings[0]).toMatchObject({
        architecture: { modality: 'text->embeddings' },
        pricing: { prompt: '0.00000002', completion: '0' },
        top_provider: { max_completion_tokens: null },
      });

      const all = await listed('?output_modalities=all');
      expect(all).toHaveLength(text.length + 2);

      const vision = await listed('?input_modalities=image');
      expect(vision.map((m) => m.id)).toContain('openai/gpt-4o');
      expect(vision.map((m) => m.id)).not.toContain('deepseek/deepseek-chat');
      for (const m of vision) expect(m.architecture.input_modalities).toContain('image');

      const audioVideo = await listed('?input_modalities=audio,video');
      expect(audioVideo.map((m) => m.id).every((id) => id.startsWith('google/'))).toBe(true);
      expect(audioVideo.length).toBeGreaterThan(0);
    });

    it('shows every endpoint of a model with several providers, and whether each is routable', async () => {
      const res = await call<EndpointsView>(t, 'GET', '/api/v1/models/deepseek/deepseek-chat/endpoints');
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ id: 'deepseek/deepseek-chat', name: 'DeepSeek: DeepSeek V3', created: 1735171200 });
      expect(res.body.data.endpoints.map((e) => [e.provider_name, e.tag, e.pricing.prompt, e.pricing.completion, e.status])).toEqual([
        ['DeepSeek', 'deepseek', '0.00000056', '0.00000168', -10],
        ['Together', 'together', '0.00000125', '0.00000125', -10],
        ['Fireworks', 'fireworks', '0.0000009', '0.0000009', -10],
      ]);
      expect(res.body.data.endpoints[0]).toMatchObject({
        name: 'DeepSeek | deepseek/deepseek-chat',
        model_id: 'deepseek/deepseek-chat',
        context_length: 65536,
        max_completion_tokens: 8192,
        quantization: 'unknown',
        supports_implicit_caching: true,
        uptime_last_5m: null,
      });

      // OPENAI_API_KEY is set, so OpenAI endpoints are routable (status 0).
      const gpt = await call<EndpointsView>(t, 'GET', '/api/v1/models/openai/gpt-4o/endpoints');
      expect(gpt.body.data.endpoints).toHaveLength(1);
      expect(gpt.body.data.endpoints[0]).toMatchObject({
        provider_name: 'OpenAI',
        tag: 'openai',
        status: 0,
        pricing: { prompt: '0.0000025', completion: '0.00001', input_cache_read: '0.00000125' },
        supports_implicit_caching: true,
      });
      const claude = await call<EndpointsView>(t, 'GET', '/api/v1/models/anthropic/claude-sonnet-4/endpoints');
      expect(claude.body.data.endpoints[0]).toMatchObject({ status: -10, supports_implicit_caching: false });

      const catalog = t.get(CatalogService);
      expect(catalog.apiKeyFor('openai')).toBe('sk-test-openai');
      expect(catalog.apiKeyFor('anthropic')).toBeNull();
      expect(catalog.endpoints('openai/gpt-4o').map((e) => e.routable)).toEqual([true]);
      expect(catalog.endpoints('deepseek/deepseek-chat').map((e) => e.routable)).toEqual([false, false, false]);
      // The keyless local provider is routable without a key.
      expect(catalog.provider('ollama')?.apiKeyEnv).toBeNull();
    });

    it('shows the endpoints of a :free variant', async () => {
      const res = await call<EndpointsView>(t, 'GET', '/api/v1/models/meta-llama/llama-3.1-8b-instruct:free/endpoints');
      expect(res.status).toBe(200);
      expect(res.body.data.id).toBe('meta-llama/llama-3.1-8b-instruct:free');
      expect(res.body.data.endpoints).toHaveLength(1);
      expect(res.body.data.endpoints[0]).toMatchObject({
        tag: 'groq/free',
        model_id: 'meta-llama/llama-3.1-8b-instruct:free',
        pricing: { prompt: '0', completion: '0' },
      });
      const paid = await call<EndpointsView>(t, 'GET', '/api/v1/models/meta-llama/llama-3.1-8b-instruct/endpoints');
      expect(paid.body.data.endpoints.map((e) => e.tag)).toEqual(['groq', 'together']);
    });

    it.each([
      '/api/v1/models/openai/no-such-model/endpoints',
      '/api/v1/models/openai/gpt-4o:free/endpoints',
      '/api/v1/models/openai/gpt-4o:nitro/endpoints',
    ])('404 in the error envelope for %s', async (path) => {
      const res = await call<{ error: { code: number; message: string; metadata: Record<string, unknown> } }>(t, 'GET', path);
      expect(res.status).toBe(404);
      const id = path.split('/').slice(4, 6).join('/');
      expect(res.body).toEqual({
        error: { code: 404, message: `Model ${JSON.stringify(id)} not found`, metadata: { error_type: 'not_found', model: id } },
      });
    });
  });

  describe('a catalog file of the operator', () => {
    let dir: string;
    let t: TestApp;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'sy-catalog-'));
      const file = join(dir, 'catalog.yaml');
      writeFileSync(
        file,
        `providers:
  - { slug: openai, name: OpenAI, adapter: openai, base_url: "https://api.openai.com/v1", api_key_env: OPENAI_API_KEY, data_policy: { zdr: false, training: false } }
  - { slug: azure, name: Azure, adapter: openai, base_url: "https://example.openai.azure.com/openai/v1", api_key_env: AZURE_OPENAI_API_KEY, data_policy: { zdr: true, training: false } }
  - { slug: local, name: Local vLLM, adapter: openai, base_url: "http://127.0.0.1:8000/v1", api_key_env: null, data_policy: { zdr: true, training: false } }
models:
  - id: openai/gpt-4o
    name: "OpenAI: GPT-4o"
    created: 1715558400
    context_length: 128000
    endpoints:
      - { provider: local, upstream_model: gpt-4o-clone, pricing: { prompt: 3, completion: 12, request: 0.001 }, context_length: 32768, max_completion_tokens: 4096, quantization: fp8 }
      - { provider: openai, upstream_model: gpt-4o, pricing: { prompt: 2.5, completion: 10 }, max_completion_tokens: 16384 }
      - { provider: azure, upstream_model: gpt-4o, pricing: { prompt: 2, completion: 8 }, max_completion_tokens: 16384 }
`,
      );
      t = await createTestApp({ env: { CATALOG_FILE: file, OPENAI_API_KEY: 'sk-test-openai' }, imports: [CatalogModule] });
    });
    afterAll(async () => {
      await t?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('serves gpt-4o from several providers; status follows the keys that are set', async () => {
      const res = await call<EndpointsView>(t, 'GET', '/api/v1/models/openai/gpt-4o/endpoints');
      expect(res.status).toBe(200);
      expect(res.body.data.endpoints.map((e) => [e.provider_name, e.status, e.pricing.prompt, e.pricing.request, e.quantization])).toEqual([
        ['Local vLLM', 0, '0.000003', '0.001', 'fp8'],
        ['OpenAI', 0, '0.0000025', '0', 'unknown'],
        ['Azure', -10, '0.000002', '0', 'unknown'],
      ]);
      expect(
        t
          .get(CatalogService)
          .endpoints('openai/gpt-4o')
          .map((e) => e.routable),
      ).toEqual([true, true, false]);

      // The listing shows the cheapest endpoint that can be routed to: OpenAI, not the first listed
      // (local) nor the cheapest (Azure, whose key is not set).
      const list = await call<ModelList>(t, 'GET', '/api/v1/models');
      expect(list.body.total_count).toBe(1);
      expect(list.body.data[0].pricing).toEqual({ prompt: '0.0000025', completion: '0.00001', request: '0', image: '0' });
      expect(list.body.data[0].top_provider).toEqual({ context_length: 128000, max_completion_tokens: 16384, is_moderated: false });
    });

    it('zdr=true and providers look at every endpoint of a model, not only the listed one', async () => {
      const listed = async (q: string) => (await call<ModelList>(t, 'GET', `/api/v1/models${q}`)).body.data.map((m) => m.id);
      expect(await listed('?zdr=true')).toEqual(['openai/gpt-4o']);
      expect(await listed('?providers=azure')).toEqual(['openai/gpt-4o']);
      expect(await listed('?providers=groq')).toEqual([]);
    });
  });

  describe('a bad catalog file', () => {
    /**
     * Builds only what the catalog needs. A full app whose boot fails part-way leaves the database
     * pool it had started connecting open (nothing can close it), so the failure is shown on the
     * modules that load the catalog: the same DI step that `npm start` aborts on.
     */
    const boot = async (env: Record<string, string>) => {
      const config = loadConfig(testEnv(env));
      const logger = new AppLogger(createRootLogger('silent'));
      const moduleRef = await Test.createTestingModule({
        imports: [ConfigModule.forRoot(config), LoggingModule.forRoot(logger), CatalogModule],
      }).compile();
      await moduleRef.close();
    };

    it('fails the boot with the file, the path and the problem', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sy-catalog-'));
      const file = join(dir, 'bad.yaml');
      // The fourth model's first endpoint gets a negative prompt price.
      const bad = parse(readFileSync(DEFAULT_FILE, 'utf8')) as { models: { endpoints: { pricing: Record<string, unknown> }[] }[] };
      bad.models[3].endpoints[0].pricing.prompt = -1;
      writeFileSync(file, JSON.stringify(bad, null, 1)); // JSON is YAML
      try {
        await expect(boot({ CATALOG_FILE: file })).rejects.toThrow(
          `Invalid model catalog ${file}: models[3].endpoints[0].pricing.prompt: must not be negative (got -1) (line `,
        );
        await expect(boot({ CATALOG_FILE: join(dir, 'missing.yaml') })).rejects.toThrow(
          `Invalid model catalog ${join(dir, 'missing.yaml')}: cannot read the file (ENOENT)`,
        );
        // The same harness boots the shipped catalog, so the failures above are the file's fault.
        await expect(boot({})).resolves.toBeUndefined();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
