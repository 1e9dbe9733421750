import fc from 'fast-check';
import { endpointPricing } from '../../test/support/pricing';
import type { CatalogView, EndpointDef, ModelDef, ProviderDef, ResolvedEndpoint } from '../catalog/catalog.types';
import { normaliseError, toEnvelope } from '../common/errors/error-envelope';
import { usdToNanos } from '../common/money/money';
import { EndpointHealth, endpointKey, parseModelSlug, planRoute, RouteInput, RoutePlan } from './plan-route';

/** Small fast seeded PRNG, so statistical tests are reproducible. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NOW = Date.UTC(2026, 5, 1);

function provider(slug: string, over: Partial<ProviderDef> = {}): ProviderDef {
  return {
    slug,
    name: `${slug[0].toUpperCase()}${slug.slice(1)} Inc`,
    adapter: 'openai',
    baseUrl: `https://${slug}.example/v1`,
    apiKeyEnv: `${slug.toUpperCase()}_KEY`,
    dataPolicy: { zdr: false, training: false },
    ...over,
  };
}

const PROVIDERS: Record<string, ProviderDef> = {
  alpha: provider('alpha', { dataPolicy: { zdr: true, training: false } }),
  beta: provider('beta', { dataPolicy: { zdr: false, training: true } }),
  gamma: provider('gamma'),
  delta: provider('delta'),
  'delta/turbo': provider('delta/turbo', { name: 'Delta Turbo' }),
};

function model(id: string, kind: 'chat' | 'embedding' = 'chat'): ModelDef {
  return {
    id,
    name: id,
    description: '',
    created: 0,
    contextLength: 128000,
    inputModalities: ['text'],
    outputModalities: kind === 'chat' ? ['text'] : ['embeddings'],
    kind,
  };
}

interface EpOpts {
  prompt?: string;
  completion?: string;
  request?: string;
  variant?: 'free' | null;
  ctx?: number;
  maxOut?: number;
  params?: string[];
  quant?: string;
  routable?: boolean;
}

function ep(m: ModelDef, slug: string, o: EpOpts = {}): ResolvedEndpoint {
  const endpoint: EndpointDef = {
    modelId: m.id,
    providerSlug: slug,
    upstreamModel: m.id.split('/')[1],
    variant: o.variant ?? null,
    pricing: endpointPricing({
      prompt: usdToNanos(o.prompt ?? '0'),
      completion: usdToNanos(o.completion ?? '0'),
      request: usdToNanos(o.request ?? '0'),
    }),
    imageTokens: null,
    contextLength: o.ctx ?? 8000,
    maxCompletionTokens: o.maxOut ?? 4000,
    supportedParameters: o.params ?? ['temperature', 'max_tokens'],
    quantization: o.quant ?? 'unknown',
    prefill: false,
  };
  return { endpoint, model: m, provider: PROVIDERS[slug], routable: o.routable ?? true };
}

const CHAT = model('acme/chat');
const OTHER = model('other/chat');
const EMBED = model('acme/embed', 'embedding');
const OFFLINE = model('acme/offline');
const EMPTY = model('acme/empty');

const ENDPOINTS: ResolvedEndpoint[] = [
  // $1/M, small context, tools, zdr
  ep(CHAT, 'alpha', {
    prompt: '0.4',
    completion: '0.6',
    ctx: 8000,
    maxOut: 4000,
    params: ['temperature', 'tools', 'tool_choice', 'max_tokens'],
    quant: 'fp16',
  }),
  // $2/M, trains on data
  ep(CHAT, 'beta', {
    prompt: '0.8',
    completion: '1.2',
    ctx: 32000,
    maxOut: 8000,
    params: ['temperature', 'response_format', 'max_tokens', 'seed'],
    quant: 'fp8',
  }),
  // $3/M plus a per-request fee, everything supported
  ep(CHAT, 'gamma', {
    prompt: '1.2',
    completion: '1.8',
    request: '0.001',
    ctx: 128000,
    maxOut: 16000,
    params: ['temperature', 'tools', 'tool_choice', 'response_format', 'structured_outputs', 'max_tokens', 'seed'],
    quant: 'BF16',
  }),
  ep(CHAT, 'alpha', { variant: 'free', ctx: 4000 }),
  ep(OTHER, 'delta', { prompt: '0.2', completion: '0.3' }),
  ep(OTHER, 'delta/turbo', { prompt: '0.3', completion: '0.4' }),
  ep(OTHER, 'beta', { prompt: '2', completion: '2' }),
  ep(EMBED, 'alpha', { prompt: '0.02' }),
  ep(OFFLINE, 'alpha', { routable: false }),
  ep(OFFLINE, 'gamma', { routable: false }),
];

const MODELS = new Map([CHAT, OTHER, EMBED, OFFLINE, EMPTY].map((m) => [m.id, m]));

const catalog: Pick<CatalogView, 'model' | 'endpoints'> = {
  model: (id) => MODELS.get(id),
  endpoints: (id) => ENDPOINTS.filter((e) => e.endpoint.modelId === id),
};

const UNKNOWN: EndpointHealth = { recentFailures: 0, lastFailureAt: null, latencyMs: null, throughputTps: null };

/** Health by `model@provider`; missing = nothing known. */
type HealthTable = Record<string, Partial<EndpointHealth>>;

function healthFrom(table: HealthTable = {}) {
  return (e: ResolvedEndpoint): EndpointHealth => ({ ...UNKNOWN, ...table[name(e)] });
}

const failedAgo = (ms: number): Partial<EndpointHealth> => ({ recentFailures: 1, lastFailureAt: NOW - ms });

function name(e: ResolvedEndpoint): string {
  return `${e.endpoint.modelId}@${e.endpoint.providerSlug}${e.endpoint.variant ? ':free' : ''}`;
}

function input(over: Partial<RouteInput> = {}): RouteInput {
  return { models: ['acme/chat'], params: [], promptTokens: 100, kind: 'chat', ...over };
}

function run(over: Partial<RouteInput>, health: HealthTable = {}, rng: () => number = () => 0): RoutePlan {
  return planRoute(input(over), catalog, healthFrom(health), NOW, rng);
}

/** Short names of the planned attempts, e.g. `chat@beta`; or the error as `status code`. */
function outcome(p: RoutePlan): string[] | string {
  if (!p.ok) return `${p.error.status} ${p.error.code}: ${p.error.message}`;
  return p.attempts.map((a) => name(a.resolved).replace(/^(acme|other)\//, ''));
}

describe('parseModelSlug', () => {
  it.each([
    ['acme/chat', 'acme/chat', null],
    ['acme/chat:free', 'acme/chat', 'free'],
    ['acme/chat:nitro', 'acme/chat', 'nitro'],
    ['acme/chat:floor', 'acme/chat', 'floor'],
    ['acme/v1.5', 'acme/v1.5', null],
  ])('%s', (id, modelId, suffix) => {
    expect(parseModelSlug(id)).toEqual({ modelId, suffix });
  });

  it.each(['acme/chat:extended', 'acme/chat:thinking', 'acme/chat:', 'acme/chat:FREE', 'acme/chat:free:nitro'])(
    'rejects %s with 400',
    (id) => {
      expect(() => parseModelSlug(id)).toThrow(expect.objectContaining({ status: 400, code: 'invalid_request' }));
    },
  );
});

describe('planRoute: selection and order', () => {
  // rng = () => 0 makes the weighted lottery pick the first remaining candidate, i.e. catalog order.
  const cases: [string, Partial<RouteInput>, HealthTable, string[]][] = [
    ['default: all stable (rng 0 = catalog order), no free endpoints', {}, {}, ['chat@alpha', 'chat@beta', 'chat@gamma']],
    ['default: recently failed endpoint goes last', {}, { 'acme/chat@alpha': failedAgo(5_000) }, ['chat@beta', 'chat@gamma', 'chat@alpha']],
    [
      'default: a failure older than 30 s no longer counts',
      {},
      { 'acme/chat@alpha': failedAgo(31_000) },
      ['chat@alpha', 'chat@beta', 'chat@gamma'],
    ],
    [
      'default: several unstable ones last, by price',
      {},
      { 'acme/chat@gamma': failedAgo(1_000), 'acme/chat@alpha': failedAgo(2_000) },
      ['chat@beta', 'chat@alpha', 'chat@gamma'],
    ],
    [
      'default: recentFailures 0 is stable even with a recent lastFailureAt',
      {},
      { 'acme/chat@alpha': { recentFailures: 0, lastFailureAt: NOW - 1000 } },
      ['chat@alpha', 'chat@beta', 'chat@gamma'],
    ],
    [
      'models: endpoints in an outage go after the other models too',
      { models: ['acme/chat', 'other/chat'], provider: { only: ['alpha', 'delta'] } },
      { 'acme/chat@alpha': failedAgo(1_000) },
      ['chat@delta', 'chat@delta/turbo', 'chat@alpha'],
    ],
    [
      'models: an open circuit (health.openUntil) counts, a closed one does not',
      { models: ['acme/chat', 'other/chat'], provider: { only: ['alpha', 'delta'] } },
      { 'acme/chat@alpha': { recentFailures: 1, lastFailureAt: NOW - 1000, openUntil: null }, 'other/chat@delta': { openUntil: NOW + 1 } },
      ['chat@alpha', 'chat@delta/turbo', 'chat@delta'],
    ],
    [':free serves only the free variant', { models: ['acme/chat:free'] }, {}, ['chat@alpha:free']],
    ['only by slug', { provider: { only: ['beta'] } }, {}, ['chat@beta']],
    ['only by display name, case-insensitive', { provider: { only: ['GAMMA INC'] } }, {}, ['chat@gamma']],
    [
      'only: a base slug matches its variants',
      { models: ['other/chat'], provider: { only: ['delta'] } },
      {},
      ['chat@delta', 'chat@delta/turbo'],
    ],
    ['only: a full slug matches one endpoint', { models: ['other/chat'], provider: { only: ['delta/turbo'] } }, {}, ['chat@delta/turbo']],
    ['ignore', { provider: { ignore: ['alpha'] } }, {}, ['chat@beta', 'chat@gamma']],
    ['empty only list = no restriction', { provider: { only: [] } }, {}, ['chat@alpha', 'chat@beta', 'chat@gamma']],
    ['data_collection deny drops providers that train', { provider: { data_collection: 'deny' } }, {}, ['chat@alpha', 'chat@gamma']],
    ['data_collection allow keeps them', { provider: { data_collection: 'allow' } }, {}, ['chat@alpha', 'chat@beta', 'chat@gamma']],
    ['zdr', { provider: { zdr: true } }, {}, ['chat@alpha']],
    ['quantizations, case-insensitive', { provider: { quantizations: ['fp8', 'bf16'] } }, {}, ['chat@beta', 'chat@gamma']],
    ['max_price prompt includes the cap itself', { provider: { max_price: { prompt: 0.8 } } }, {}, ['chat@alpha', 'chat@beta']],
    ['max_price completion as a string', { provider: { max_price: { completion: '0.6' } } }, {}, ['chat@alpha']],
    ['max_price request', { provider: { max_price: { request: 0 } } }, {}, ['chat@alpha', 'chat@beta']],
    ['context: prompt + max_tokens must fit', { promptTokens: 7000, maxTokens: 2000 }, {}, ['chat@beta', 'chat@gamma']],
    ['context: prompt alone when max_tokens is absent', { promptTokens: 8000 }, {}, ['chat@alpha', 'chat@beta', 'chat@gamma']],
    ['max_tokens above an endpoint output limit', { maxTokens: 10000 }, {}, ['chat@gamma']],
    [
      'require_parameters',
      { params: ['seed', 'response_format'], provider: { require_parameters: true } },
      {},
      ['chat@beta', 'chat@gamma'],
    ],
    [
      'require_parameters: max_completion_tokens matches max_tokens',
      { params: ['max_completion_tokens'], provider: { require_parameters: true } },
      {},
      ['chat@alpha', 'chat@beta', 'chat@gamma'],
    ],
    [
      'without require_parameters unsupported params do not filter',
      { params: ['seed', 'logit_bias'] },
      {},
      ['chat@alpha', 'chat@beta', 'chat@gamma'],
    ],
    ['soft: tools prefers tool-capable endpoints', { params: ['tools'] }, {}, ['chat@alpha', 'chat@gamma']],
    ['soft: tool_choice', { params: ['tool_choice'] }, {}, ['chat@alpha', 'chat@gamma']],
    ['soft: response_format', { params: ['response_format', 'temperature'] }, {}, ['chat@beta', 'chat@gamma']],
    ['soft: tools and response_format', { params: ['tools', 'response_format'] }, {}, ['chat@gamma']],
    ['soft: never empties a model', { models: ['other/chat'], params: ['tools'] }, {}, ['chat@delta', 'chat@delta/turbo', 'chat@beta']],
    ['soft: json_schema prefers endpoints that enforce schemas', { params: ['response_format', 'structured_outputs'] }, {}, ['chat@gamma']],
    ['soft: JSON mode takes any endpoint listing response_format', { params: ['response_format'] }, {}, ['chat@beta', 'chat@gamma']],
    [
      'soft: applies to every model of the list',
      { models: ['other/chat', 'acme/chat'], params: ['tools'] },
      {},
      ['chat@delta', 'chat@delta/turbo', 'chat@beta', 'chat@alpha', 'chat@gamma'],
    ],
    [
      'soft: with sort, within the capable ones',
      { params: ['response_format'], provider: { sort: 'price' } },
      {},
      ['chat@beta', 'chat@gamma'],
    ],
    [
      'soft: a sticky endpoint that lacks the capability is passed over',
      { params: ['tools'], sticky: { modelId: 'acme/chat', providerSlug: 'beta' } },
      {},
      ['chat@alpha', 'chat@gamma'],
    ],
    [
      'soft: narrows the providers pinned with order and allow_fallbacks false',
      { params: ['tools'], provider: { order: ['beta', 'gamma'], allow_fallbacks: false } },
      {},
      ['chat@gamma'],
    ],
    [
      'soft: never overrides a provider pinned with order and allow_fallbacks false',
      { params: ['tools'], provider: { order: ['beta'], allow_fallbacks: false } },
      {},
      ['chat@beta'],
    ],
    ['soft: never overrides provider.only', { params: ['tools'], provider: { only: ['beta'] } }, {}, ['chat@beta']],
    ['order first, then the rest', { provider: { order: ['gamma', 'beta'] } }, {}, ['chat@gamma', 'chat@beta', 'chat@alpha']],
    [
      'order with allow_fallbacks false: only the ordered ones',
      { provider: { order: ['gamma', 'alpha'], allow_fallbacks: false } },
      {},
      ['chat@gamma', 'chat@alpha'],
    ],
    ['order ignores slugs without an endpoint', { provider: { order: ['nobody', 'beta'] } }, {}, ['chat@beta', 'chat@alpha', 'chat@gamma']],
    [
      'order beats stability',
      { provider: { order: ['alpha'] } },
      { 'acme/chat@alpha': failedAgo(1000) },
      ['chat@alpha', 'chat@beta', 'chat@gamma'],
    ],
    [
      'order, then the rest by sort',
      { provider: { order: ['beta'], sort: 'latency' } },
      { 'acme/chat@gamma': { latencyMs: 100 }, 'acme/chat@alpha': { latencyMs: 900 } },
      ['chat@beta', 'chat@gamma', 'chat@alpha'],
    ],
    ['allow_fallbacks false: only the primary', { provider: { allow_fallbacks: false } }, {}, ['chat@alpha']],
    [
      'allow_fallbacks false: primary is a stable endpoint',
      { provider: { allow_fallbacks: false } },
      { 'acme/chat@alpha': failedAgo(1000) },
      ['chat@beta'],
    ],
    ['sort price', { provider: { sort: 'price' } }, {}, ['chat@alpha', 'chat@beta', 'chat@gamma']],
    [
      'sort price ignores stability',
      { provider: { sort: 'price' } },
      { 'acme/chat@alpha': failedAgo(1000) },
      ['chat@alpha', 'chat@beta', 'chat@gamma'],
    ],
    [
      'sort throughput: fastest first, unknown last',
      { provider: { sort: 'throughput' } },
      { 'acme/chat@alpha': { throughputTps: 50 }, 'acme/chat@gamma': { throughputTps: 120 } },
      ['chat@gamma', 'chat@alpha', 'chat@beta'],
    ],
    [
      'sort latency: lowest first, unknown last',
      { provider: { sort: { by: 'latency' } } },
      { 'acme/chat@alpha': { latencyMs: 500 }, 'acme/chat@beta': { latencyMs: 200 } },
      ['chat@beta', 'chat@alpha', 'chat@gamma'],
    ],
    ['sort throughput: ties by price', { provider: { sort: 'throughput' } }, {}, ['chat@alpha', 'chat@beta', 'chat@gamma']],
    [
      ':nitro = sort by throughput',
      { models: ['acme/chat:nitro'] },
      { 'acme/chat@beta': { throughputTps: 300 }, 'acme/chat@alpha': { throughputTps: 20 } },
      ['chat@beta', 'chat@alpha', 'chat@gamma'],
    ],
    [
      'a suffix wins over provider.sort',
      { models: ['acme/chat:floor'], provider: { sort: 'throughput' } },
      { 'acme/chat@gamma': { throughputTps: 300 } },
      ['chat@alpha', 'chat@beta', 'chat@gamma'],
    ],
    ['sticky goes first', { sticky: { modelId: 'acme/chat', providerSlug: 'gamma' } }, {}, ['chat@gamma', 'chat@alpha', 'chat@beta']],
    [
      'sticky beats sort',
      { sticky: { modelId: 'acme/chat', providerSlug: 'gamma' }, provider: { sort: 'price' } },
      {},
      ['chat@gamma', 'chat@alpha', 'chat@beta'],
    ],
    [
      'sticky with allow_fallbacks false is the primary',
      { sticky: { modelId: 'acme/chat', providerSlug: 'beta' }, provider: { allow_fallbacks: false } },
      {},
      ['chat@beta'],
    ],
    [
      'sticky ignored with order',
      { sticky: { modelId: 'acme/chat', providerSlug: 'gamma' }, provider: { order: ['beta'] } },
      {},
      ['chat@beta', 'chat@alpha', 'chat@gamma'],
    ],
    [
      'sticky ignored when filtered out',
      { sticky: { modelId: 'acme/chat', providerSlug: 'beta' }, provider: { zdr: true } },
      {},
      ['chat@alpha'],
    ],
    [
      'sticky ignored while unstable',
      { sticky: { modelId: 'acme/chat', providerSlug: 'gamma' } },
      { 'acme/chat@gamma': failedAgo(1000) },
      ['chat@alpha', 'chat@beta', 'chat@gamma'],
    ],
    [
      'sticky for another model is ignored',
      { sticky: { modelId: 'other/chat', providerSlug: 'gamma' } },
      {},
      ['chat@alpha', 'chat@beta', 'chat@gamma'],
    ],
    [
      'sticky applies to the first model only',
      { models: ['acme/chat', 'other/chat'], sticky: { modelId: 'other/chat', providerSlug: 'beta' }, provider: { sort: 'price' } },
      {},
      ['chat@alpha', 'chat@beta', 'chat@gamma', 'chat@delta', 'chat@delta/turbo', 'chat@beta'],
    ],
    [
      'models: fallback model after the primary one',
      { models: ['acme/chat', 'other/chat'], provider: { only: ['beta'] } },
      {},
      ['chat@beta', 'chat@beta'],
    ],
    [
      'models: a model without routable endpoints is skipped',
      { models: ['acme/offline', 'other/chat'], provider: { sort: 'price' } },
      {},
      ['chat@delta', 'chat@delta/turbo', 'chat@beta'],
    ],
    ['models: a filtered-out model is skipped', { models: ['other/chat', 'acme/chat'], provider: { zdr: true } }, {}, ['chat@alpha']],
    [
      'models: allow_fallbacks false keeps the primary of each model',
      { models: ['acme/chat', 'other/chat'], provider: { sort: 'price', allow_fallbacks: false } },
      {},
      ['chat@alpha', 'chat@delta'],
    ],
    [
      'partition none sorts all models together',
      { models: ['acme/chat', 'other/chat'], provider: { sort: { by: 'price', partition: 'none' } } },
      {},
      ['chat@delta', 'chat@delta/turbo', 'chat@alpha', 'chat@beta', 'chat@gamma', 'chat@beta'],
    ],
    [
      'partition none keeps the sticky endpoint first',
      {
        models: ['acme/chat', 'other/chat'],
        provider: { sort: { by: 'price', partition: 'none' } },
        sticky: { modelId: 'acme/chat', providerSlug: 'beta' },
      },
      {},
      ['chat@beta', 'chat@delta', 'chat@delta/turbo', 'chat@alpha', 'chat@gamma', 'chat@beta'],
    ],
    [
      'partition none after order',
      { models: ['acme/chat', 'other/chat'], provider: { order: ['beta'], sort: { by: 'price', partition: 'none' } } },
      {},
      ['chat@beta', 'chat@beta', 'chat@delta', 'chat@delta/turbo', 'chat@alpha', 'chat@gamma'],
    ],
    [
      'partition model (explicit) keeps models apart',
      { models: ['acme/chat', 'other/chat'], provider: { sort: { by: 'price', partition: 'model' } } },
      {},
      ['chat@alpha', 'chat@beta', 'chat@gamma', 'chat@delta', 'chat@delta/turbo', 'chat@beta'],
    ],
    [
      'the same endpoint is never tried twice',
      { models: ['acme/chat', 'acme/chat:floor', 'acme/chat'] },
      {},
      ['chat@alpha', 'chat@beta', 'chat@gamma'],
    ],
    ['embeddings', { models: ['acme/embed'], kind: 'embedding' }, {}, ['embed@alpha']],
  ];

  it.each(cases)('%s', (_name, over, health, expected) => {
    expect(outcome(run(over, health))).toEqual(expected);
  });

  it('keeps the requested model string, suffix included', () => {
    const p = run({ models: ['acme/chat:floor', 'other/chat'], provider: { only: ['beta'] } });
    expect(p.ok && p.attempts.map((a) => a.requestedModel)).toEqual(['acme/chat:floor', 'other/chat']);
  });
});

describe('planRoute: errors', () => {
  const cases: [string, Partial<RouteInput>, number, string, RegExp, Record<string, unknown>][] = [
    [
      'unknown model',
      { models: ['acme/nope'] },
      400,
      'invalid_request',
      /^acme\/nope is not a valid model ID$/,
      { code: 'model_not_found' },
    ],
    [
      'unknown fallback model',
      { models: ['acme/chat', 'acme/nope'] },
      400,
      'invalid_request',
      /acme\/nope is not a valid model ID/,
      { code: 'model_not_found' },
    ],
    [
      'unsupported suffix',
      { models: ['acme/chat:extended'] },
      400,
      'invalid_request',
      /unsupported variant ":extended"/,
      { code: 'model_not_found' },
    ],
    [
      ':free on a model without a free variant',
      { models: ['other/chat:free'] },
      400,
      'invalid_request',
      /other\/chat:free is not a valid model ID/,
      { code: 'model_not_found' },
    ],
    ['embedding model on chat', { models: ['acme/embed'] }, 400, 'invalid_request', /embedding model/, { code: 'wrong_endpoint' }],
    ['chat model on embeddings', { kind: 'embedding' }, 400, 'invalid_request', /not an embedding model/, { code: 'wrong_endpoint' }],
    ['no model', { models: [] }, 400, 'invalid_request', /No model/, {}],
    ['no endpoints at all', { models: ['acme/empty'] }, 404, 'not_found', /No endpoints found for acme\/empty/, { code: 'no_endpoints' }],
    [
      'keys not configured',
      { models: ['acme/offline'] },
      503,
      'service_unavailable',
      /^No provider is configured for acme\/offline$/,
      { code: 'provider_not_configured' },
    ],
    [
      'only',
      { provider: { only: ['nobody'] } },
      404,
      'not_found',
      /^No endpoints found that match provider.only/,
      { excluded_by: ['allowed_providers'], constraint: expect.objectContaining({ field: 'provider.only' }) },
    ],
    [
      'ignore',
      { provider: { ignore: ['alpha', 'beta', 'gamma'] } },
      404,
      'not_found',
      /provider.ignore/,
      { excluded_by: ['allowed_providers'], constraint: expect.objectContaining({ field: 'provider.ignore' }) },
    ],
    [
      'only passes, ignore empties: ignore is named',
      { provider: { only: ['alpha'], ignore: ['alpha'] } },
      404,
      'not_found',
      /provider.ignore/,
      { constraint: expect.objectContaining({ field: 'provider.ignore' }) },
    ],
    [
      'data_collection',
      { models: ['other/chat'], provider: { data_collection: 'deny', only: ['beta'] } },
      404,
      'not_found',
      /data policy/,
      { code: 'privacy_restricted', excluded_by: ['data_policy:training'] },
    ],
    [
      'zdr',
      { models: ['other/chat'], provider: { zdr: true } },
      404,
      'not_found',
      /zero data retention/,
      { code: 'privacy_restricted', excluded_by: ['data_policy:zdr'] },
    ],
    [
      'quantizations',
      { provider: { quantizations: ['int4'] } },
      404,
      'not_found',
      /quantizations \(int4\)/,
      { excluded_by: ['quantization'] },
    ],
    [
      'max_price',
      { provider: { max_price: { prompt: 0.1 } } },
      404,
      'not_found',
      /^No endpoints found that are within provider.max_price \(model acme\/chat\)$/,
      { code: 'constraint_filtered', excluded_by: ['max_price'] },
    ],
    ['context length', { promptTokens: 200000 }, 404, 'not_found', /fit 200000 tokens/, { excluded_by: ['context_length'] }],
    ['max_tokens', { maxTokens: 20000 }, 404, 'not_found', /allow max_tokens of 20000/, { excluded_by: ['max_tokens'] }],
    [
      'require_parameters names what nobody supports',
      { params: ['temperature', 'logit_bias'], provider: { require_parameters: true } },
      404,
      'not_found',
      /require_parameters\): logit_bias \(/,
      { excluded_by: ['require_parameters'] },
    ],
    [
      'require_parameters: no single endpoint has them all',
      { params: ['tools', 'seed'], provider: { require_parameters: true, ignore: ['gamma'] } },
      404,
      'not_found',
      /: tools, seed/,
      { excluded_by: ['require_parameters'] },
    ],
    [
      'order with allow_fallbacks false',
      { provider: { order: ['nobody'], allow_fallbacks: false } },
      404,
      'not_found',
      /provider.order/,
      { excluded_by: ['order'] },
    ],
    [
      'the last filter that emptied the list is named',
      { provider: { zdr: true, max_price: { prompt: 0.1 } } },
      404,
      'not_found',
      /max_price/,
      { excluded_by: ['max_price'] },
    ],
    [
      "every model fails: the first model's error",
      { models: ['acme/chat', 'other/chat'], provider: { max_price: { completion: 0.01 } } },
      404,
      'not_found',
      /model acme\/chat\)$/,
      { requested_models: ['acme/chat', 'other/chat'] },
    ],
    ['negative max_price', { provider: { max_price: { prompt: -1 } } }, 400, 'invalid_request', /max_price.prompt/, {}],
    ['max_price not a number', { provider: { max_price: { completion: 'cheap' } } }, 400, 'invalid_request', /max_price.completion/, {}],
    ['unknown sort', { provider: { sort: 'exacto' as 'price' } }, 400, 'invalid_request', /provider.sort/, {}],
  ];

  it.each(cases)('%s', (...[, over, status, code, message, avail]: (typeof cases)[number]) => {
    const p = run(over);
    if (p.ok) throw new Error(`expected an error, got ${JSON.stringify(outcome(p))}`);
    expect(p.error.status).toBe(status);
    expect(p.error.code).toBe(code);
    expect(p.error.message).toMatch(message);
    if (Object.keys(avail).length > 0)
      expect(toEnvelope(normaliseError(p.error)).error.availability).toEqual(expect.objectContaining(avail));
  });

  it('does not echo a huge model id in full', () => {
    const p = run({ models: [`acme/${'x'.repeat(5000)}`] });
    expect(!p.ok && p.error.message.length).toBeLessThan(300);
  });
});

describe('planRoute: default load balancing', () => {
  const ONE = model('test/lb');
  const lb = [
    ep(ONE, 'alpha', { prompt: '0.5', completion: '0.5' }),
    ep(ONE, 'beta', { prompt: '1', completion: '1' }),
    ep(ONE, 'gamma', { prompt: '1.5', completion: '1.5' }),
  ];
  const lbCatalog = (eps: ResolvedEndpoint[]): Pick<CatalogView, 'model' | 'endpoints'> => ({
    model: (id) => (id === ONE.id ? ONE : undefined),
    endpoints: () => eps,
  });
  const decide = (eps: ResolvedEndpoint[], rng: () => number, health = healthFrom()) =>
    planRoute(input({ models: [ONE.id] }), lbCatalog(eps), health, NOW, rng);

  it('picks first by 1/price² over 1000 decisions ($1, $2, $3 per M -> 36/49, 9/49, 4/49)', () => {
    const rng = mulberry32(42);
    const firsts: Record<string, number> = { alpha: 0, beta: 0, gamma: 0 };
    const seconds: Record<string, number> = { beta: 0, gamma: 0 };
    const n = 1000;
    for (let i = 0; i < n; i++) {
      const p = decide(lb, rng);
      if (!p.ok) throw p.error;
      expect(p.attempts).toHaveLength(3);
      firsts[p.attempts[0].resolved.endpoint.providerSlug]++;
      if (p.attempts[0].resolved.endpoint.providerSlug === 'alpha') seconds[p.attempts[1].resolved.endpoint.providerSlug]++;
    }
    // Tolerances are about 3 standard deviations at n = 1000.
    expect(Math.abs(firsts.alpha / n - 36 / 49)).toBeLessThan(0.042);
    expect(Math.abs(firsts.beta / n - 9 / 49)).toBeLessThan(0.037);
    expect(Math.abs(firsts.gamma / n - 4 / 49)).toBeLessThan(0.026);
    // Without replacement: after alpha, beta vs gamma is 1/4 : 1/9 = 9/13.
    expect(Math.abs(seconds.beta / (seconds.beta + seconds.gamma) - 9 / 13)).toBeLessThan(0.05);
  });

  it('a zero-price endpoint comes first, ahead of any priced one', () => {
    const withFree = [...lb, ep(ONE, 'delta')];
    const rng = mulberry32(7);
    for (let i = 0; i < 200; i++) {
      const p = decide(withFree, rng);
      expect(p.ok && p.attempts[0].resolved.endpoint.providerSlug).toBe('delta');
    }
  });

  it('several zero-price endpoints share first place evenly', () => {
    const ZERO = [ep(ONE, 'alpha'), ep(ONE, 'beta'), ep(ONE, 'gamma')];
    const rng = mulberry32(3);
    const firsts: Record<string, number> = { alpha: 0, beta: 0, gamma: 0 };
    for (let i = 0; i < 900; i++) {
      const p = decide(ZERO, rng);
      if (p.ok) firsts[p.attempts[0].resolved.endpoint.providerSlug]++;
    }
    for (const c of Object.values(firsts)) expect(Math.abs(c / 900 - 1 / 3)).toBeLessThan(0.06);
  });

  it('never puts an unstable endpoint before a stable one', () => {
    const rng = mulberry32(11);
    const health = healthFrom({ 'test/lb@alpha': failedAgo(10_000) });
    for (let i = 0; i < 200; i++) {
      const p = decide(lb, rng, health);
      expect(p.ok && p.attempts[2].resolved.endpoint.providerSlug).toBe('alpha');
    }
  });

  it('asks for each endpoint health at most once per decision', () => {
    const calls = new Map<string, number>();
    const health = (e: ResolvedEndpoint) => {
      calls.set(endpointKey(e), (calls.get(endpointKey(e)) ?? 0) + 1);
      return UNKNOWN;
    };
    planRoute(
      input({ models: ['acme/chat', 'acme/chat:nitro'], sticky: { modelId: 'acme/chat', providerSlug: 'beta' } }),
      catalog,
      health,
      NOW,
      () => 0.5,
    );
    expect(Math.max(...calls.values())).toBe(1);
  });
});

describe('planRoute: properties', () => {
  const slugs = fc.constantFrom('alpha', 'beta', 'gamma', 'delta', 'delta/turbo', 'nobody');
  const prefs = fc.record(
    {
      order: fc.array(slugs, { maxLength: 3 }),
      allow_fallbacks: fc.boolean(),
      require_parameters: fc.boolean(),
      data_collection: fc.constantFrom('allow' as const, 'deny' as const),
      zdr: fc.boolean(),
      only: fc.array(slugs, { maxLength: 3 }),
      ignore: fc.array(slugs, { maxLength: 2 }),
      sort: fc.constantFrom('price' as const, 'throughput' as const, { by: 'latency' as const, partition: 'none' as const }),
      max_price: fc.record({ prompt: fc.double({ min: 0, max: 5, noNaN: true }) }, { requiredKeys: [] }),
    },
    { requiredKeys: [] },
  );

  it('always answers with a plan or an AppError; attempts are routable, unique and honour hard filters', () => {
    fc.assert(
      fc.property(
        prefs,
        fc.subarray(['acme/chat', 'other/chat', 'acme/chat:nitro', 'acme/chat:free', 'acme/offline'], { minLength: 1 }),
        fc.subarray(['tools', 'seed', 'response_format', 'temperature']),
        fc.integer({ min: 0, max: 200000 }),
        fc.integer({ min: 1, max: 1 << 30 }),
        (provider, models, params, promptTokens, seed) => {
          const p = planRoute(input({ models, provider, params, promptTokens }), catalog, healthFrom(), NOW, mulberry32(seed));
          if (!p.ok) return;
          const keys = p.attempts.map((a) => endpointKey(a.resolved));
          expect(new Set(keys).size).toBe(keys.length);
          for (const { resolved: e } of p.attempts) {
            expect(e.routable).toBe(true);
            expect(promptTokens).toBeLessThanOrEqual(e.endpoint.contextLength);
            if (provider.zdr) expect(e.provider.dataPolicy.zdr).toBe(true);
            if (provider.data_collection === 'deny') expect(e.provider.dataPolicy.training).toBe(false);
            if (provider.require_parameters) for (const q of params) expect(e.endpoint.supportedParameters).toContain(q);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
