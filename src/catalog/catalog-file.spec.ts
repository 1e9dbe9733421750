import { join } from 'node:path';
import { stringify } from 'yaml';
import { CatalogFileError, parseCatalog, priceToNanos, readCatalogFile } from './catalog-file';

const FILE = '/etc/switchyard/catalog.yaml';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A small valid catalog; each case breaks one thing in a fresh copy. */
const valid = (): Doc => ({
  providers: [
    {
      slug: 'openai',
      name: 'OpenAI',
      adapter: 'openai',
      base_url: 'https://api.openai.com/v1',
      api_key_env: 'OPENAI_API_KEY',
      data_policy: { zdr: false, training: false },
    },
    {
      slug: 'local',
      name: 'Local',
      adapter: 'openai',
      base_url: 'http://127.0.0.1:11434/v1/',
      api_key_env: null,
      data_policy: { zdr: true, training: false },
    },
  ],
  models: [
    {
      id: 'openai/gpt-4o',
      name: 'OpenAI: GPT-4o',
      created: 1715558400,
      context_length: 128000,
      input_modalities: ['text', 'image'],
      endpoints: [
        {
          provider: 'openai',
          upstream_model: 'gpt-4o-2024-08-06',
          pricing: { prompt: 2.5, completion: 10, cache_read: 1.25 },
          max_completion_tokens: 16384,
          supported_parameters: ['temperature', 'tools'],
        },
        { provider: 'local', upstream_model: 'gpt-4o', variant: 'free' },
      ],
    },
    {
      id: 'openai/text-embedding-3-small',
      name: 'Embedding',
      created: 1706140800,
      context_length: 8191,
      kind: 'embedding',
      endpoints: [{ provider: 'openai', upstream_model: 'text-embedding-3-small', pricing: { prompt: '0.02' } }],
    },
  ],
});

const parse = (doc: Doc) => parseCatalog(stringify(doc), FILE);

function errorOf(fn: () => unknown): CatalogFileError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CatalogFileError) return err;
    throw err;
  }
  throw new Error('expected a CatalogFileError');
}

describe('catalog file', () => {
  it('parses a valid catalog into the typed catalog, with defaults', () => {
    const c = parse(valid());
    expect(c.providers.map((p) => p.slug)).toEqual(['openai', 'local']);
    expect(c.providers[1]).toEqual({
      slug: 'local',
      name: 'Local',
      adapter: 'openai',
      baseUrl: 'http://127.0.0.1:11434/v1', // trailing slash dropped: adapters append paths
      apiKeyEnv: null,
      dataPolicy: { zdr: true, training: false },
    });
    expect(c.models[0]).toEqual({
      id: 'openai/gpt-4o',
      name: 'OpenAI: GPT-4o',
      description: '',
      created: 1715558400,
      contextLength: 128000,
      inputModalities: ['text', 'image'],
      outputModalities: ['text'],
      kind: 'chat',
    });
    expect(c.models[1]).toMatchObject({ kind: 'embedding', inputModalities: ['text'], outputModalities: ['embeddings'] });
    expect(c.endpoints).toHaveLength(3);
    expect(c.endpoints[0]).toEqual({
      modelId: 'openai/gpt-4o',
      providerSlug: 'openai',
      upstreamModel: 'gpt-4o-2024-08-06',
      variant: null,
      pricing: {
        prompt: 2_500_000_000n,
        completion: 10_000_000_000n,
        request: 0n,
        image: 0n,
        cacheRead: 1_250_000_000n,
        cacheWrite: null,
        cacheWrite1h: null,
        tiers: [],
        serviceTiers: {},
      },
      imageTokens: null,
      contextLength: 128000,
      maxCompletionTokens: 16384,
      supportedParameters: ['temperature', 'tools'],
      quantization: 'unknown',
      prefill: false,
    });
    // A free endpoint needs no pricing; limits default to the model's context.
    expect(c.endpoints[1]).toMatchObject({
      variant: 'free',
      pricing: {
        prompt: 0n,
        completion: 0n,
        request: 0n,
        image: 0n,
        cacheRead: null,
        cacheWrite: null,
        cacheWrite1h: null,
        tiers: [],
        serviceTiers: {},
      },
      imageTokens: null,
      contextLength: 128000,
      maxCompletionTokens: 128000,
      supportedParameters: [],
    });
    // Embedding models may omit the completion price and have no completion limit.
    expect(c.endpoints[2]).toMatchObject({ pricing: { prompt: 20_000_000n, completion: 0n }, maxCompletionTokens: 0 });
  });

  it('ignores top-level x- keys, so anchors can live there', () => {
    const yaml = `x-params: &p [temperature, seed]\n${stringify(valid()).replace('- temperature\n            - tools', '')}`;
    const text = yaml.replace(/supported_parameters:\n(\s+- \w+\n)+/, 'supported_parameters: *p\n');
    expect(parseCatalog(text, FILE).endpoints[0].supportedParameters).toEqual(['temperature', 'seed']);
  });

  const cases: [string, (d: Doc) => void, string, RegExp][] = [
    ['unknown top-level key', (d) => (d.extra = 1), 'extra', /unknown key \(allowed: providers, models, prices_as_of\)/],
    ['missing providers', (d) => delete d.providers, 'providers', /is required/],
    ['providers not a list', (d) => (d.providers = { openai: {} }), 'providers', /must be a list \(got a mapping\)/],
    ['unknown provider key', (d) => (d.providers[0].apikey = 'x'), 'providers[0].apikey', /unknown key/],
    ['missing provider name', (d) => delete d.providers[1].name, 'providers[1].name', /is required/],
    ['provider name not a string', (d) => (d.providers[0].name = 42), 'providers[0].name', /must be a string \(got number 42\)/],
    ['bad provider slug', (d) => (d.providers[0].slug = 'Open AI'), 'providers[0].slug', /lowercase/],
    ['duplicate provider slug', (d) => (d.providers[1].slug = 'openai'), 'providers[1].slug', /duplicate provider slug "openai"/],
    [
      'bad adapter kind',
      (d) => (d.providers[0].adapter = 'cohere'),
      'providers[0].adapter',
      /must be one of openai, anthropic, gemini \(got string "cohere"\)/,
    ],
    [
      'base_url not http(s)',
      (d) => (d.providers[0].base_url = 'ftp://api.openai.com/v1'),
      'providers[0].base_url',
      /must be an http\(s\) URL/,
    ],
    [
      'base_url not a URL',
      (d) => (d.providers[0].base_url = 'api.openai.com/v1'),
      'providers[0].base_url',
      /must be an absolute http\(s\) URL/,
    ],
    [
      'base_url with credentials',
      (d) => (d.providers[0].base_url = 'https://u:p@api.openai.com/v1'),
      'providers[0].base_url',
      /credentials/,
    ],
    ['api_key_env not UPPER_SNAKE', (d) => (d.providers[0].api_key_env = 'openai_key'), 'providers[0].api_key_env', /UPPER_SNAKE_CASE/],
    ['api_key_env missing', (d) => delete d.providers[0].api_key_env, 'providers[0].api_key_env', /is required/],
    [
      'api_key_env naming an app setting',
      (d) => (d.providers[0].api_key_env = 'DATABASE_URL'),
      'providers[0].api_key_env',
      /Switchyard's own settings/,
    ],
    [
      'data_policy flag not boolean',
      (d) => (d.providers[0].data_policy.zdr = 'no'),
      'providers[0].data_policy.zdr',
      /must be true or false/,
    ],
    ['data_policy flag missing', (d) => delete d.providers[0].data_policy.training, 'providers[0].data_policy.training', /is required/],
    ['model id without author', (d) => (d.models[0].id = 'gpt-4o'), 'models[0].id', /author\/slug/],
    ['model id in capitals', (d) => (d.models[0].id = 'OpenAI/gpt-4o'), 'models[0].id', /author\/slug/],
    ['model id with a variant', (d) => (d.models[0].id = 'openai/gpt-4o:free'), 'models[0].id', /author\/slug/],
    ['model id with ..', (d) => (d.models[0].id = '../etc'), 'models[0].id', /author\/slug/],
    ['duplicate model id', (d) => (d.models[1].id = 'openai/gpt-4o'), 'models[1].id', /duplicate model id "openai\/gpt-4o"/],
    ['unknown model key', (d) => (d.models[1].price = 1), 'models[1].price', /unknown key/],
    [
      'context_length not an integer',
      (d) => (d.models[0].context_length = '128k'),
      'models[0].context_length',
      /must be an integer \(got string "128k"\)/,
    ],
    ['context_length zero', (d) => (d.models[0].context_length = 0), 'models[0].context_length', /at least 1/],
    ['created in milliseconds', (d) => (d.models[0].created = 1715558400000), 'models[0].created', /Unix seconds/],
    ['unknown modality', (d) => (d.models[0].input_modalities = ['text', 'smell']), 'models[0].input_modalities[1]', /must be one of/],
    ['bad kind', (d) => (d.models[0].kind = 'image'), 'models[0].kind', /must be one of chat, embedding/],
    ['no endpoints', (d) => (d.models[0].endpoints = []), 'models[0].endpoints', /at least one endpoint/],
    [
      'endpoint naming an unknown provider',
      (d) => (d.models[1].endpoints[0].provider = 'azure'),
      'models[1].endpoints[0].provider',
      /unknown provider "azure" \(declared: openai, local\)/,
    ],
    [
      'missing upstream_model',
      (d) => delete d.models[0].endpoints[0].upstream_model,
      'models[0].endpoints[0].upstream_model',
      /is required/,
    ],
    ['missing pricing', (d) => delete d.models[0].endpoints[0].pricing, 'models[0].endpoints[0].pricing', /is required/],
    ['missing prompt price', (d) => delete d.models[0].endpoints[0].pricing.prompt, 'models[0].endpoints[0].pricing.prompt', /is required/],
    [
      'missing completion price on a chat model',
      (d) => delete d.models[0].endpoints[0].pricing.completion,
      'models[0].endpoints[0].pricing.completion',
      /is required/,
    ],
    [
      'negative price',
      (d) => (d.models[0].endpoints[0].pricing.prompt = -1),
      'models[0].endpoints[0].pricing.prompt',
      /must not be negative \(got -1\)/,
    ],
    [
      'negative price as text',
      (d) => (d.models[0].endpoints[0].pricing.completion = '-0.5'),
      'models[0].endpoints[0].pricing.completion',
      /must not be negative/,
    ],
    [
      'non-numeric price',
      (d) => (d.models[0].endpoints[0].pricing.prompt = 'cheap'),
      'models[0].endpoints[0].pricing.prompt',
      /must be a number of USD \(got string "cheap"\)/,
    ],
    [
      'price with a dollar sign',
      (d) => (d.models[0].endpoints[0].pricing.prompt = '$2.50'),
      'models[0].endpoints[0].pricing.prompt',
      /must be a number of USD/,
    ],
    [
      'price below a nanodollar',
      (d) => (d.models[0].endpoints[0].pricing.prompt = 0.0000000001),
      'models[0].endpoints[0].pricing.prompt',
      /more than 9 decimal places/,
    ],
    [
      'absurd price',
      (d) => (d.models[0].endpoints[0].pricing.prompt = 2_500_000),
      'models[0].endpoints[0].pricing.prompt',
      /at most 1000000 USD/,
    ],
    [
      'unknown price key',
      (d) => (d.models[0].endpoints[0].pricing.input = 1),
      'models[0].endpoints[0].pricing.input',
      /unknown key \(allowed: prompt, completion, cache_read, cache_write, cache_write_1h, request, image, tiers, service_tiers\)/,
    ],
    [
      'priced free endpoint',
      (d) => (d.models[0].endpoints[1].pricing = { prompt: 0.1 }),
      'models[0].endpoints[1].pricing.prompt',
      /must be 0 on a free endpoint/,
    ],
    ['bad variant', (d) => (d.models[0].endpoints[1].variant = 'nitro'), 'models[0].endpoints[1].variant', /must be one of free/],
    [
      'duplicate endpoint',
      (d) => d.models[0].endpoints.push({ ...d.models[0].endpoints[0] }),
      'models[0].endpoints[2]',
      /duplicate endpoint openai \(already at models\[0\]\.endpoints\[0\]\)/,
    ],
    [
      'max_completion_tokens above the context',
      (d) => (d.models[0].endpoints[0].max_completion_tokens = 200000),
      'models[0].endpoints[0].max_completion_tokens',
      /at most 128000/,
    ],
    [
      'unknown supported parameter',
      (d) => (d.models[0].endpoints[0].supported_parameters = ['temprature']),
      'models[0].endpoints[0].supported_parameters[0]',
      /must be one of temperature/,
    ],
    [
      'repeated supported parameter',
      (d) => (d.models[0].endpoints[0].supported_parameters = ['tools', 'tools']),
      'models[0].endpoints[0].supported_parameters[1]',
      /listed twice/,
    ],
    [
      'unknown quantization',
      (d) => (d.models[0].endpoints[0].quantization = 'q4_k_m'),
      'models[0].endpoints[0].quantization',
      /must be one of int4/,
    ],
    [
      'image_tokens not a mapping',
      (d) => (d.models[0].endpoints[0].image_tokens = 33),
      'models[0].endpoints[0].image_tokens',
      /must be a mapping/,
    ],
    [
      'image_tokens without tile',
      (d) => (d.models[0].endpoints[0].image_tokens = { base: 2833 }),
      'models[0].endpoints[0].image_tokens.tile',
      /is required/,
    ],
    [
      'image_tokens with an unknown key',
      (d) => (d.models[0].endpoints[0].image_tokens = { base: 1, tile: 2, multiplier: 33 }),
      'models[0].endpoints[0].image_tokens.multiplier',
      /unknown key \(allowed: base, tile\)/,
    ],
    [
      'image_tokens not an integer',
      (d) => (d.models[0].endpoints[0].image_tokens = { base: 2833.5, tile: 5667 }),
      'models[0].endpoints[0].image_tokens.base',
      /must be an integer/,
    ],
    ['prefill not a boolean', (d) => (d.models[0].endpoints[1].prefill = 'yes'), 'models[0].endpoints[1].prefill', /must be true or false/],
    [
      'prefill on api.openai.com',
      (d) => (d.models[0].endpoints[0].prefill = true),
      'models[0].endpoints[0].prefill',
      /OpenAI's API does not continue an assistant prefill/,
    ],
    [
      'prefill on an embedding model',
      (d) => (d.models[1].endpoints[0] = { provider: 'local', upstream_model: 'e', pricing: { prompt: 0 }, prefill: true }),
      'models[1].endpoints[0].prefill',
      /only chat endpoints/,
    ],
    [
      'prefill on a gemini endpoint',
      (d) => {
        d.providers.push({
          slug: 'gem',
          name: 'Gem',
          adapter: 'gemini',
          base_url: 'https://g.example/v1beta',
          api_key_env: 'GEM_KEY',
          data_policy: { zdr: false, training: false },
        });
        d.models[0].endpoints.push({ provider: 'gem', upstream_model: 'g', pricing: { prompt: 1, completion: 1 }, prefill: true });
      },
      'models[0].endpoints[2].prefill',
      /gemini adapter cannot send an assistant prefill/,
    ],
    [
      'image_tokens negative',
      (d) => (d.models[0].endpoints[0].image_tokens = { base: 2833, tile: -1 }),
      'models[0].endpoints[0].image_tokens.tile',
      /at least 0/,
    ],
  ];

  it.each(cases)('rejects %s, naming the file and the path', (_name, mutate, path, problem) => {
    const doc = valid();
    mutate(doc);
    const err = errorOf(() => parse(doc));
    expect(err.file).toBe(FILE);
    expect(err.path).toBe(path);
    expect(err.problem).toMatch(problem);
    expect(err.message).toContain(`Invalid model catalog ${FILE}: ${path}: `);
  });

  it('names the line of the problem', () => {
    const text = stringify(valid());
    const err = errorOf(() => parseCatalog(text.replace('adapter: openai', 'adapter: cohere'), FILE));
    const line = text.split('\n').findIndex((l) => l.includes('adapter: openai')) + 1;
    expect(err.line).toBe(line);
    expect(err.message).toMatch(new RegExp(`\\(line ${line}\\)$`));
  });

  it.each([
    ['empty file', '', /the file is empty/],
    ['a list at the top', '- a\n- b\n', /must be a mapping \(got a list\)/],
    ['broken YAML', 'providers: [\nmodels: x', /not valid YAML/],
    ['duplicate keys', 'providers: []\nproviders: []\nmodels: []\n', /not valid YAML: Map keys must be unique/],
    ['two documents', 'providers: []\nmodels: []\n---\nproviders: []\n', /not valid YAML/],
  ])('rejects %s', (_name, text, problem) => {
    const err = errorOf(() => parseCatalog(text, FILE));
    expect(err.message).toMatch(new RegExp(`^Invalid model catalog ${FILE}: `));
    expect(err.problem).toMatch(problem);
  });

  it('reports an unreadable file as a catalog error', () => {
    const err = errorOf(() => readCatalogFile('/nonexistent/catalog.yaml'));
    expect(err.message).toBe('Invalid model catalog /nonexistent/catalog.yaml: cannot read the file (ENOENT)');
  });

  it('accepts an empty catalog', () => {
    expect(parseCatalog('providers: []\nmodels: []\n', FILE)).toEqual({ providers: [], models: [], endpoints: [], pricesAsOf: null });
  });
});

describe('prices in the file (USD per million) to nanodollars per million', () => {
  it.each([
    [2.5, 2_500_000_000n],
    [10, 10_000_000_000n],
    [0.15, 150_000_000n],
    [0.075, 75_000_000n],
    [0.1, 100_000_000n],
    [0.000000001, 1n],
    [0, 0n],
    [18.75, 18_750_000_000n],
    [1_000_000, 1_000_000_000_000_000n],
    ['2.50', 2_500_000_000n],
    ['0.000000001', 1n],
    [' 3 ', 3_000_000_000n],
    ['0.123456789', 123_456_789n],
  ])('%p -> %p', (usd, nanos) => {
    expect(priceToNanos(usd)).toBe(nanos);
  });

  it.each([
    [-0.01],
    ['-1'],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
    ['1e3'],
    ['0.0000000001'],
    [0.0000000004],
    [null],
    [true],
    [[1]],
    [''],
  ])('refuses %p', (usd) => {
    expect(() => priceToNanos(usd)).toThrow();
  });
});

describe('the shipped default catalog', () => {
  const file = join(__dirname, 'default-catalog.yaml');
  const c = readCatalogFile(file);

  it('loads, with the providers and models the gateway expects', () => {
    expect(c.providers.map((p) => p.slug)).toEqual(
      expect.arrayContaining(['openai', 'anthropic', 'google-ai-studio', 'mistral', 'deepseek', 'groq', 'together', 'fireworks']),
    );
    for (const id of [
      'openai/gpt-4o',
      'openai/gpt-4o-mini',
      'openai/gpt-4.1',
      'openai/gpt-4.1-mini',
      'openai/o3-mini',
      'openai/text-embedding-3-small',
      'openai/text-embedding-3-large',
      'anthropic/claude-sonnet-4',
      'anthropic/claude-3.5-haiku',
      'anthropic/claude-opus-4',
      'google/gemini-2.5-pro',
      'google/gemini-2.5-flash',
      'google/gemini-2.0-flash',
      'mistralai/mistral-large',
      'mistralai/mistral-small',
      'deepseek/deepseek-chat',
      'deepseek/deepseek-r1',
      'meta-llama/llama-3.3-70b-instruct',
      'meta-llama/llama-3.1-8b-instruct',
      'qwen/qwen-2.5-72b-instruct',
    ]) {
      expect(c.models.map((m) => m.id)).toContain(id);
    }
  });

  it('marks the endpoints that continue an assistant prefill: Anthropic and Mistral, not OpenAI, DeepSeek /v1 or Gemini', () => {
    const prefill = new Map<string, boolean>();
    for (const e of c.endpoints) prefill.set(e.providerSlug, (prefill.get(e.providerSlug) ?? e.prefill) && e.prefill);
    expect(prefill.get('anthropic')).toBe(true);
    expect(prefill.get('mistral')).toBe(true);
    for (const slug of ['openai', 'deepseek', 'google-ai-studio', 'groq', 'together', 'fireworks'])
      expect(prefill.get(slug) ?? false).toBe(false);
  });

  it('has the real base URLs and adapter kinds', () => {
    const p = Object.fromEntries(c.providers.map((x) => [x.slug, [x.adapter, x.baseUrl, x.apiKeyEnv]]));
    expect(p.openai).toEqual(['openai', 'https://api.openai.com/v1', 'OPENAI_API_KEY']);
    expect(p.anthropic).toEqual(['anthropic', 'https://api.anthropic.com/v1', 'ANTHROPIC_API_KEY']);
    expect(p['google-ai-studio']).toEqual(['gemini', 'https://generativelanguage.googleapis.com/v1beta', 'GEMINI_API_KEY']);
    expect(p.mistral.slice(0, 2)).toEqual(['openai', 'https://api.mistral.ai/v1']);
    expect(p.deepseek.slice(0, 2)).toEqual(['openai', 'https://api.deepseek.com/v1']);
    expect(p.groq.slice(0, 2)).toEqual(['openai', 'https://api.groq.com/openai/v1']);
    expect(p.together.slice(0, 2)).toEqual(['openai', 'https://api.together.xyz/v1']);
    expect(p.fireworks.slice(0, 2)).toEqual(['openai', 'https://api.fireworks.ai/inference/v1']);
  });

  it('prices every endpoint in non-negative integer nanodollars, on a declared provider', () => {
    const slugs = new Set(c.providers.map((p) => p.slug));
    const models = new Set(c.models.map((m) => m.id));
    expect(c.endpoints.length).toBeGreaterThan(c.models.length);
    for (const e of c.endpoints) {
      expect(slugs.has(e.providerSlug)).toBe(true);
      expect(models.has(e.modelId)).toBe(true);
      // Every price, the prompt-length tiers' and the service tiers' included.
      const { tiers, serviceTiers, ...flat } = e.pricing;
      const nested = [...tiers, ...Object.values(serviceTiers).flatMap(({ tiers: t, ...rest }) => [rest, ...t])];
      for (const set of [flat, ...nested]) {
        for (const [key, price] of Object.entries(set)) {
          if (price === null || key === 'abovePromptTokens') continue;
          expect(typeof price).toBe('bigint');
          expect((price as bigint) >= 0n).toBe(true);
        }
      }
      if (e.variant === 'free') expect(e.pricing.prompt + e.pricing.completion).toBe(0n);
      expect(e.maxCompletionTokens).toBeLessThanOrEqual(e.contextLength);
    }
  });

  it('has list prices where they are well known, and several endpoints for shared models', () => {
    const ep = (model: string, provider: string) =>
      c.endpoints.find((e) => e.modelId === model && e.providerSlug === provider && !e.variant)!;
    expect(ep('openai/gpt-4o', 'openai').pricing).toMatchObject({ prompt: 2_500_000_000n, completion: 10_000_000_000n });
    expect(ep('openai/gpt-4o-mini', 'openai').pricing).toMatchObject({ prompt: 150_000_000n, completion: 600_000_000n });
    expect(ep('anthropic/claude-sonnet-4', 'anthropic').pricing).toMatchObject({ prompt: 3_000_000_000n, completion: 15_000_000_000n });
    expect(ep('openai/text-embedding-3-small', 'openai').pricing.prompt).toBe(20_000_000n);
    expect(c.models.find((m) => m.id === 'openai/text-embedding-3-small')!.kind).toBe('embedding');
    const providersOf = (model: string) => c.endpoints.filter((e) => e.modelId === model).map((e) => e.providerSlug);
    expect(providersOf('deepseek/deepseek-chat')).toEqual(['deepseek', 'together', 'fireworks']);
    expect(providersOf('meta-llama/llama-3.3-70b-instruct')).toEqual(['groq', 'together', 'fireworks']);
    expect(c.endpoints.filter((e) => e.modelId === 'meta-llama/llama-3.1-8b-instruct' && e.variant === 'free')).toHaveLength(1);
  });

  it('dates its prices and carries the prices the base ones cannot express', () => {
    expect(c.pricesAsOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const ep = (model: string, provider: string) =>
      c.endpoints.find((e) => e.modelId === model && e.providerSlug === provider && !e.variant)!;
    expect(ep('google/gemini-2.5-pro', 'google-ai-studio').pricing.tiers).toEqual([
      {
        abovePromptTokens: 200_000,
        prompt: 2_500_000_000n,
        completion: 15_000_000_000n,
        cacheRead: 625_000_000n,
        cacheWrite: null,
        cacheWrite1h: null,
      },
    ]);
    expect(ep('anthropic/claude-sonnet-4', 'anthropic').pricing).toMatchObject({
      cacheWrite: 3_750_000_000n,
      cacheWrite1h: 6_000_000_000n,
    });
    expect(ep('openai/gpt-4.1', 'openai').pricing.serviceTiers.priority).toMatchObject({
      prompt: 3_500_000_000n,
      completion: 14_000_000_000n,
    });
    // OpenAI's published image token counts for gpt-4o-mini; gpt-4o's own are within the common estimate.
    expect(ep('openai/gpt-4o-mini', 'openai').imageTokens).toEqual({ base: 2833, tile: 5667 });
    expect(ep('openai/gpt-4o', 'openai').imageTokens).toBeNull();
  });

  it('reads image_tokens on an endpoint, null where left out', () => {
    const d = valid();
    d.models[0].endpoints[0].image_tokens = { base: 2833, tile: 5667 };
    const c = parse(d);
    expect(c.endpoints.map((e) => e.imageTokens)).toEqual([{ base: 2833, tile: 5667 }, null, null]);
  });
});

describe('tiered, 1-hour cache and service tier prices', () => {
  const withPricing = (pricing: Doc) => {
    const d = valid();
    d.models[0].endpoints[0].pricing = pricing;
    return stringify(d);
  };
  const problem = (pricing: Doc) => {
    try {
      parseCatalog(withPricing(pricing), FILE);
    } catch (err) {
      return `${(err as CatalogFileError).path}: ${(err as CatalogFileError).problem}`;
    }
    return null;
  };

  it('parses them into nanodollars per million', () => {
    const c = parseCatalog(
      withPricing({
        prompt: 1,
        completion: 2,
        cache_write: 1.25,
        cache_write_1h: 2,
        tiers: [{ above_prompt_tokens: 1000, prompt: 2, completion: 3 }],
        service_tiers: {
          flex: { prompt: 0.5, completion: 1 },
          priority: { prompt: 2, completion: 4, tiers: [{ above_prompt_tokens: 1000, prompt: 3, completion: 5 }] },
        },
      }),
      FILE,
    );
    const p = c.endpoints[0].pricing;
    expect(p).toMatchObject({ cacheWrite: 1_250_000_000n, cacheWrite1h: 2_000_000_000n });
    expect(p.tiers).toEqual([
      {
        abovePromptTokens: 1000,
        prompt: 2_000_000_000n,
        completion: 3_000_000_000n,
        cacheRead: null,
        cacheWrite: null,
        cacheWrite1h: null,
      },
    ]);
    expect(p.serviceTiers.flex).toEqual({
      prompt: 500_000_000n,
      completion: 1_000_000_000n,
      cacheRead: null,
      cacheWrite: null,
      cacheWrite1h: null,
      tiers: [],
    });
    expect(p.serviceTiers.priority.tiers[0]).toMatchObject({ abovePromptTokens: 1000, prompt: 3_000_000_000n });
  });

  it('refuses tiers out of order, cheaper than shorter prompts, or without prices', () => {
    expect(problem({ prompt: 1, completion: 2, tiers: [{ above_prompt_tokens: 1000, prompt: 0.5, completion: 3 }] })).toBe(
      'models[0].endpoints[0].pricing.tiers[0]: prompt must not be lower than for shorter prompts',
    );
    expect(
      problem({
        prompt: 1,
        completion: 2,
        tiers: [
          { above_prompt_tokens: 1000, prompt: 2, completion: 3 },
          { above_prompt_tokens: 500, prompt: 3, completion: 4 },
        ],
      }),
    ).toBe("models[0].endpoints[0].pricing.tiers[1].above_prompt_tokens: must be above the previous tier's 1000");
    expect(problem({ prompt: 1, completion: 2, tiers: [{ above_prompt_tokens: 1000, prompt: 2 }] })).toBe(
      'models[0].endpoints[0].pricing.tiers[0].completion: is required',
    );
    expect(problem({ prompt: 1, completion: 2, service_tiers: { Priority: { prompt: 2, completion: 4 } } })).toMatch(
      /^models\[0\]\.endpoints\[0\]\.pricing\.service_tiers\.Priority: must be a service tier name/,
    );
  });

  it('dates the prices with prices_as_of', () => {
    expect(parseCatalog('prices_as_of: 2025-09-15\nproviders: []\nmodels: []\n', FILE).pricesAsOf).toBe('2025-09-15');
    expect(() => parseCatalog('prices_as_of: last week\nproviders: []\nmodels: []\n', FILE)).toThrow(
      /prices_as_of: must be a date, YYYY-MM-DD/,
    );
  });
});
