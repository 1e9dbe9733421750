import { readFileSync } from 'node:fs';
import { isNode, LineCounter, parseDocument } from 'yaml';
import { ENV_DOCS } from '../common/config/env.schema';
import { usdToNanos } from '../common/money/money';
import type {
  AdapterKind,
  EndpointDef,
  EndpointPricing,
  ImageTokenRule,
  ModelDef,
  PromptTier,
  ProviderDef,
  TokenPrices,
} from './catalog.types';

/**
 * The catalog file: YAML text in, validated typed catalog out. Pure (no Nest, no environment), so
 * the same rules serve boot, tests and any future `cli catalog check`.
 *
 * Prices in the file are USD per million tokens (per unit for `request` and `image`); they become
 * integer nanodollars per million here and nowhere else.
 */
export interface CatalogData {
  providers: ProviderDef[];
  models: ModelDef[];
  /** Every endpoint of every model, in file order. */
  endpoints: EndpointDef[];
  /** When the prices were last checked against the providers' lists (YYYY-MM-DD), if the file says. */
  pricesAsOf: string | null;
}

export class CatalogFileError extends Error {
  constructor(
    readonly file: string,
    /** e.g. `models[3].endpoints[0].pricing.prompt`; empty for file-level problems. */
    readonly path: string,
    readonly problem: string,
    readonly line: number | null = null,
  ) {
    super(`Invalid model catalog ${file}: ${path ? `${path}: ` : ''}${problem}${line ? ` (line ${line})` : ''}`);
    this.name = 'CatalogFileError';
  }
}

export const ADAPTER_KINDS: readonly AdapterKind[] = ['openai', 'anthropic', 'gemini'];

/** OpenRouter's `supported_parameters` vocabulary (reference §3.1), in its order. */
export const SUPPORTED_PARAMETERS = [
  'temperature',
  'top_p',
  'top_k',
  'min_p',
  'top_a',
  'frequency_penalty',
  'presence_penalty',
  'repetition_penalty',
  'max_tokens',
  'max_completion_tokens',
  'logit_bias',
  'logprobs',
  'top_logprobs',
  'prediction',
  'seed',
  'response_format',
  'structured_outputs',
  'stop',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'include_reasoning',
  'reasoning',
  'reasoning_effort',
  'web_search_options',
  'verbosity',
] as const;

export const MODALITIES = ['text', 'image', 'file', 'audio', 'video', 'embeddings'] as const;
export const QUANTIZATIONS = ['int4', 'int8', 'fp4', 'fp6', 'fp8', 'fp16', 'bf16', 'fp32', 'unknown'] as const;

const PROVIDER_SLUG = /^[a-z0-9][a-z0-9_-]*$/;
const MODEL_ID = /^[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*$/;
const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;
const USD_TEXT = /^\d+(\.\d+)?$/;
/** Above this a price is a typo (a dollar per token), and floats stop round-tripping at 1e-9. */
const MAX_PRICE_USD = 1_000_000;
/** A `created` beyond this is almost certainly milliseconds (year 5138 in seconds). */
const MAX_UNIX_SECONDS = 99_999_999_999;

type Seg = string | number;

/** A problem at a path; turned into a CatalogFileError (with the line) by parseCatalog. */
class Problem extends Error {
  constructor(
    readonly at: Seg[],
    readonly problem: string,
  ) {
    super(problem);
  }
}

export function formatPath(at: Seg[]): string {
  return at.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

function shown(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  const text = JSON.stringify(v);
  return `${typeof v} ${text.length > 60 ? `${text.slice(0, 57)}...` : text}`;
}

const fail = (at: Seg[], problem: string): never => {
  throw new Problem(at, problem);
};

/** A mapping whose keys must all be known; `x-` keys are free for YAML anchors. */
function mapping(v: unknown, at: Seg[], allowed: readonly string[], extensions = false): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(at, `must be a mapping (got ${shown(v)})`);
  const o = v as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (extensions && key.startsWith('x-')) continue;
    if (!allowed.includes(key)) fail([...at, key], `unknown key (allowed: ${allowed.join(', ')})`);
  }
  return o;
}

function list(v: unknown, at: Seg[]): unknown[] {
  if (!Array.isArray(v)) fail(at, `must be a list (got ${shown(v)})`);
  return v as unknown[];
}

function required(o: Record<string, unknown>, key: string, at: Seg[]): unknown {
  if (!(key in o)) fail([...at, key], 'is required');
  return o[key];
}

function text(v: unknown, at: Seg[], pattern?: RegExp, rule?: string): string {
  if (typeof v !== 'string') fail(at, `must be a string (got ${shown(v)})`);
  const s = (v as string).trim();
  if (!s) fail(at, 'must not be empty');
  if (pattern && !pattern.test(s)) fail(at, `${rule} (got ${JSON.stringify(s)})`);
  return s;
}

function integer(v: unknown, at: Seg[], min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(at, `must be an integer (got ${shown(v)})`);
  const n = v as number;
  if (n < min) fail(at, `must be at least ${min} (got ${n})`);
  if (n > max) fail(at, `must be at most ${max} (got ${n})`);
  return n;
}

function bool(v: unknown, at: Seg[]): boolean {
  if (typeof v !== 'boolean') fail(at, `must be true or false (got ${shown(v)})`);
  return v as boolean;
}

function oneOf<T extends string>(v: unknown, at: Seg[], choices: readonly T[]): T {
  if (typeof v !== 'string' || !choices.includes(v as T)) fail(at, `must be one of ${choices.join(', ')} (got ${shown(v)})`);
  return v as T;
}

/** A non-empty list of distinct words from a vocabulary. */
function words<T extends string>(v: unknown, at: Seg[], vocabulary: readonly T[], allowEmpty: boolean): T[] {
  const items = list(v, at);
  if (!allowEmpty && items.length === 0) fail(at, 'must not be empty');
  const seen = new Set<string>();
  return items.map((item, i) => {
    const w = oneOf(item, [...at, i], vocabulary);
    if (seen.has(w)) fail([...at, i], `${w} is listed twice`);
    seen.add(w);
    return w;
  });
}

/** USD per million tokens (or per unit) as written in the file, to integer nanodollars. */
export function priceToNanos(v: unknown, at: Seg[] = []): bigint {
  let usd: string;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) fail(at, `must be a number of USD (got ${shown(v)})`);
    if (v < 0) fail(at, `must not be negative (got ${v})`);
    if (v > MAX_PRICE_USD) fail(at, `must be at most ${MAX_PRICE_USD} USD (got ${v})`);
    usd = v.toFixed(9);
    // The YAML number must be exactly representable in nanodollars, never silently rounded.
    if (Number(usd) !== v) fail(at, `has more than 9 decimal places (got ${v})`);
  } else if (typeof v === 'string') {
    const s = v.trim();
    if (s.startsWith('-')) fail(at, `must not be negative (got ${JSON.stringify(v)})`);
    if (!USD_TEXT.test(s)) fail(at, `must be a number of USD (got ${shown(v)})`);
    if ((s.split('.')[1] ?? '').length > 9) fail(at, `has more than 9 decimal places (got ${JSON.stringify(v)})`);
    if (Number(s) > MAX_PRICE_USD) fail(at, `must be at most ${MAX_PRICE_USD} USD (got ${JSON.stringify(v)})`);
    usd = s;
  } else {
    return fail(at, `must be a number of USD (got ${shown(v)})`);
  }
  return usdToNanos(usd);
}

/** An absolute http(s) base URL, without the trailing slash (adapters append their paths). */
function httpUrl(raw: string, at: Seg[]): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return fail(at, `must be an absolute http(s) URL (got ${JSON.stringify(raw)})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(at, `must be an http(s) URL (got ${JSON.stringify(raw)})`);
  if (url.search || url.hash) fail(at, 'must not have a query or fragment (adapters append their paths)');
  if (url.username || url.password) fail(at, 'must not carry credentials: name the key in api_key_env');
  return raw.replace(/\/+$/, '');
}

const TOKEN_PRICE_KEYS = ['prompt', 'completion', 'cache_read', 'cache_write', 'cache_write_1h'] as const;

/**
 * Every key the file accepts, by the mapping it belongs in. docs/catalog.md documents each one
 * (src/catalog/catalog-doc.spec.ts fails when a key here is missing there).
 */
export const CATALOG_KEYS = {
  root: ['providers', 'models', 'prices_as_of'],
  provider: ['slug', 'name', 'adapter', 'base_url', 'api_key_env', 'data_policy'],
  dataPolicy: ['zdr', 'training'],
  model: ['id', 'name', 'description', 'created', 'context_length', 'input_modalities', 'output_modalities', 'kind', 'endpoints'],
  endpoint: [
    'provider',
    'upstream_model',
    'variant',
    'pricing',
    'image_tokens',
    'context_length',
    'max_completion_tokens',
    'supported_parameters',
    'quantization',
    'prefill',
  ],
  pricing: [...TOKEN_PRICE_KEYS, 'request', 'image', 'tiers', 'service_tiers'],
  promptTier: ['above_prompt_tokens', ...TOKEN_PRICE_KEYS],
  serviceTier: [...TOKEN_PRICE_KEYS, 'tiers'],
  imageTokens: ['base', 'tile'],
} as const satisfies Record<string, readonly string[]>;

/** Variables the app itself reads: naming one as an API key would ship that secret to a provider. */
const RESERVED_ENV = new Set(Object.keys(ENV_DOCS));

function parseProvider(v: unknown, at: Seg[]): ProviderDef {
  const o = mapping(v, at, CATALOG_KEYS.provider);
  const slug = text(required(o, 'slug', at), [...at, 'slug'], PROVIDER_SLUG, 'must be lowercase letters, digits, - and _');
  const name = text(required(o, 'name', at), [...at, 'name']);
  const adapter = oneOf(required(o, 'adapter', at), [...at, 'adapter'], ADAPTER_KINDS);

  const urlAt = [...at, 'base_url'];
  const baseUrl = httpUrl(text(required(o, 'base_url', at), urlAt), urlAt);

  const envAt = [...at, 'api_key_env'];
  const envRaw = required(o, 'api_key_env', at);
  const envRule = 'must be an UPPER_SNAKE_CASE environment variable name, or null for keyless servers';
  const apiKeyEnv = envRaw === null ? null : text(envRaw, envAt, ENV_NAME, envRule);
  if (apiKeyEnv && RESERVED_ENV.has(apiKeyEnv)) {
    fail(envAt, `${apiKeyEnv} is one of Switchyard's own settings, not a provider key`);
  }

  const policyAt = [...at, 'data_policy'];
  const policy = mapping(required(o, 'data_policy', at), policyAt, CATALOG_KEYS.dataPolicy);
  return {
    slug,
    name,
    adapter,
    baseUrl,
    apiKeyEnv,
    dataPolicy: {
      zdr: bool(required(policy, 'zdr', policyAt), [...policyAt, 'zdr']),
      training: bool(required(policy, 'training', policyAt), [...policyAt, 'training']),
    },
  };
}

const SERVICE_TIER = /^[a-z][a-z0-9_-]*$/;

/** prompt, completion and cache prices of a mapping (prompt and completion as `need` says). */
function tokenPrices(o: Record<string, unknown>, at: Seg[], need: (key: string) => bigint): TokenPrices {
  const price = (key: string) => (o[key] !== undefined && o[key] !== null ? priceToNanos(o[key], [...at, key]) : null);
  return {
    prompt: need('prompt'),
    completion: need('completion'),
    cacheRead: price('cache_read'),
    cacheWrite: price('cache_write'),
    cacheWrite1h: price('cache_write_1h'),
  };
}

/**
 * Prompt-length tiers, ascending. A longer prompt never costs less per token: the hold is sized at
 * the tier of the (deliberately high) prompt estimate, which must cover the tier the provider bills.
 */
function parseTiers(v: unknown, at: Seg[], base: TokenPrices): PromptTier[] {
  if (v === undefined || v === null) return [];
  let previous: TokenPrices & { abovePromptTokens: number } = { ...base, abovePromptTokens: 0 };
  return list(v, at).map((item, i) => {
    const tierAt = [...at, i];
    const o = mapping(item, tierAt, CATALOG_KEYS.promptTier);
    const above = integer(required(o, 'above_prompt_tokens', tierAt), [...tierAt, 'above_prompt_tokens'], 1);
    if (above <= previous.abovePromptTokens)
      fail([...tierAt, 'above_prompt_tokens'], `must be above the previous tier's ${previous.abovePromptTokens}`);
    const tier = { abovePromptTokens: above, ...tokenPrices(o, tierAt, (key) => priceToNanos(required(o, key, tierAt), [...tierAt, key])) };
    for (const key of ['prompt', 'completion', 'cacheRead', 'cacheWrite', 'cacheWrite1h'] as const) {
      const was = previous[key] ?? previous.prompt;
      if ((tier[key] ?? tier.prompt) < was) fail(tierAt, `${key} must not be lower than for shorter prompts`);
    }
    previous = tier;
    return tier;
  });
}

function parsePricing(v: unknown, at: Seg[], kind: ModelDef['kind'], free: boolean): EndpointPricing {
  const o = mapping(v, at, CATALOG_KEYS.pricing);
  const given = (key: string) => o[key] !== undefined && o[key] !== null;
  const price = (key: string, fallback: bigint | null) => (given(key) ? priceToNanos(o[key], [...at, key]) : fallback);
  const need = (key: string) =>
    // Embedding models have no output tokens, so their completion price may be left out.
    free || (key === 'completion' && kind === 'embedding') ? price(key, 0n)! : priceToNanos(required(o, key, at), [...at, key]);
  if (free) {
    for (const key of [...TOKEN_PRICE_KEYS, 'request', 'image']) {
      if (given(key) && priceToNanos(o[key], [...at, key]) !== 0n) fail([...at, key], 'must be 0 on a free endpoint');
    }
    for (const key of ['tiers', 'service_tiers']) if (given(key)) fail([...at, key], 'a free endpoint has no other prices');
  }
  const base = tokenPrices(o, at, need);
  const serviceTiers: EndpointPricing['serviceTiers'] = {};
  if (given('service_tiers')) {
    const tiersAt = [...at, 'service_tiers'];
    const named = mapping(o.service_tiers, tiersAt, Object.keys(o.service_tiers as object));
    for (const [name, value] of Object.entries(named)) {
      const tierAt = [...tiersAt, name];
      if (!SERVICE_TIER.test(name)) fail(tierAt, 'must be a service tier name as the provider reports it (lowercase, e.g. priority, flex)');
      const t = mapping(value, tierAt, CATALOG_KEYS.serviceTier);
      const prices = tokenPrices(t, tierAt, (key) => priceToNanos(required(t, key, tierAt), [...tierAt, key]));
      serviceTiers[name] = { ...prices, tiers: parseTiers(t.tiers, [...tierAt, 'tiers'], prices) };
    }
  }
  return {
    ...base,
    request: price('request', 0n)!,
    image: price('image', 0n)!,
    tiers: parseTiers(o.tiers, [...at, 'tiers'], base),
    serviceTiers,
  };
}

/** Above this an image token count is a typo: no provider bills an image tile near a million tokens. */
const MAX_IMAGE_TILE_TOKENS = 1_000_000;

/** `image_tokens: { base, tile }`: the endpoint's own counts for OpenAI's tile formula. */
function parseImageTokens(v: unknown, at: Seg[]): ImageTokenRule | null {
  if (v === undefined || v === null) return null;
  const o = mapping(v, at, CATALOG_KEYS.imageTokens);
  return {
    base: integer(required(o, 'base', at), [...at, 'base'], 0, MAX_IMAGE_TILE_TOKENS),
    tile: integer(required(o, 'tile', at), [...at, 'tile'], 0, MAX_IMAGE_TILE_TOKENS),
  };
}

const ZERO_PRICING: EndpointPricing = {
  prompt: 0n,
  completion: 0n,
  request: 0n,
  image: 0n,
  cacheRead: null,
  cacheWrite: null,
  cacheWrite1h: null,
  tiers: [],
  serviceTiers: {},
};

function parseEndpoint(v: unknown, at: Seg[], model: ModelDef, providers: Map<string, ProviderDef>): EndpointDef {
  const o = mapping(v, at, CATALOG_KEYS.endpoint);
  const providerAt = [...at, 'provider'];
  const providerSlug = text(required(o, 'provider', at), providerAt);
  if (!providers.has(providerSlug)) {
    fail(providerAt, `unknown provider ${JSON.stringify(providerSlug)} (declared: ${[...providers.keys()].join(', ') || 'none'})`);
  }
  const upstreamModel = text(required(o, 'upstream_model', at), [...at, 'upstream_model']);
  const variant = o.variant === undefined || o.variant === null ? null : oneOf(o.variant, [...at, 'variant'], ['free'] as const);

  // `:free` endpoints may leave pricing out: they are zero-priced by definition.
  const pricingAt = [...at, 'pricing'];
  const pricing =
    variant === 'free' && o.pricing === undefined
      ? { ...ZERO_PRICING }
      : parsePricing(required(o, 'pricing', at), pricingAt, model.kind, variant === 'free');

  const contextLength = o.context_length === undefined ? model.contextLength : integer(o.context_length, [...at, 'context_length'], 1);
  const maxCompletionTokens =
    o.max_completion_tokens === undefined
      ? model.kind === 'embedding'
        ? 0
        : contextLength
      : integer(o.max_completion_tokens, [...at, 'max_completion_tokens'], model.kind === 'embedding' ? 0 : 1, contextLength);

  return {
    modelId: model.id,
    providerSlug,
    upstreamModel,
    variant,
    pricing,
    imageTokens: parseImageTokens(o.image_tokens, [...at, 'image_tokens']),
    contextLength,
    maxCompletionTokens,
    supportedParameters:
      o.supported_parameters === undefined
        ? []
        : words(o.supported_parameters, [...at, 'supported_parameters'], SUPPORTED_PARAMETERS, true),
    quantization: o.quantization === undefined ? 'unknown' : oneOf(o.quantization, [...at, 'quantization'], QUANTIZATIONS),
    prefill: parsePrefill(o.prefill, [...at, 'prefill'], model, providers.get(providerSlug)!),
  };
}

/**
 * `prefill: true`: the endpoint continues a trailing assistant message (a stream cut after output
 * continues there). Refused where the adapter has no way to send one or the API is known to refuse it.
 */
function parsePrefill(v: unknown, at: Seg[], model: ModelDef, provider: ProviderDef): boolean {
  if (v === undefined || v === null) return false;
  if (!bool(v, at)) return false;
  if (model.kind !== 'chat') fail(at, 'only chat endpoints take an assistant prefill');
  if (provider.adapter === 'gemini') fail(at, 'the gemini adapter cannot send an assistant prefill');
  if (new URL(provider.baseUrl).hostname === 'api.openai.com') fail(at, "OpenAI's API does not continue an assistant prefill");
  return true;
}

function parseModel(v: unknown, at: Seg[], providers: Map<string, ProviderDef>): { model: ModelDef; endpoints: EndpointDef[] } {
  const o = mapping(v, at, CATALOG_KEYS.model);
  const id = text(required(o, 'id', at), [...at, 'id'], MODEL_ID, 'must be author/slug in lowercase letters, digits, -, . and _');
  const kind = o.kind === undefined ? 'chat' : oneOf(o.kind, [...at, 'kind'], ['chat', 'embedding'] as const);
  const created = integer(required(o, 'created', at), [...at, 'created'], 0);
  if (created > MAX_UNIX_SECONDS) fail([...at, 'created'], `must be Unix seconds, not milliseconds (got ${created})`);
  const model: ModelDef = {
    id,
    name: text(required(o, 'name', at), [...at, 'name']),
    description: [undefined, null, ''].includes(o.description as string) ? '' : text(o.description, [...at, 'description']),
    created,
    contextLength: integer(required(o, 'context_length', at), [...at, 'context_length'], 1),
    inputModalities:
      o.input_modalities === undefined ? ['text'] : words(o.input_modalities, [...at, 'input_modalities'], MODALITIES, false),
    outputModalities:
      o.output_modalities === undefined
        ? [kind === 'embedding' ? 'embeddings' : 'text']
        : words(o.output_modalities, [...at, 'output_modalities'], MODALITIES, false),
    kind,
  };

  const endpointsAt = [...at, 'endpoints'];
  const items = list(required(o, 'endpoints', at), endpointsAt);
  if (items.length === 0) fail(endpointsAt, 'a model needs at least one endpoint');
  const seen = new Map<string, number>();
  const endpoints = items.map((e, i) => {
    const endpoint = parseEndpoint(e, [...endpointsAt, i], model, providers);
    // Routing and the endpoints view tell endpoints apart by provider and variant.
    const tag = `${endpoint.providerSlug}${endpoint.variant ? `/${endpoint.variant}` : ''}`;
    const first = seen.get(tag);
    if (first !== undefined) {
      fail([...endpointsAt, i], `duplicate endpoint ${tag} (already at ${formatPath([...endpointsAt, first])})`);
    }
    seen.set(tag, i);
    return endpoint;
  });
  return { model, endpoints };
}

/** Validates an already-parsed document; throws Problem. */
function validate(doc: unknown): CatalogData {
  if (doc === null || doc === undefined) fail([], 'the file is empty: it needs `providers` and `models`');
  const root = mapping(doc, [], CATALOG_KEYS.root, true);
  const pricesAsOf = root.prices_as_of === undefined || root.prices_as_of === null ? null : parseDate(root.prices_as_of, ['prices_as_of']);

  const providers = new Map<string, ProviderDef>();
  list(required(root, 'providers', []), ['providers']).forEach((p, i) => {
    const provider = parseProvider(p, ['providers', i]);
    if (providers.has(provider.slug)) fail(['providers', i, 'slug'], `duplicate provider slug ${JSON.stringify(provider.slug)}`);
    providers.set(provider.slug, provider);
  });

  const models: ModelDef[] = [];
  const endpoints: EndpointDef[] = [];
  const ids = new Set<string>();
  list(required(root, 'models', []), ['models']).forEach((m, i) => {
    const parsed = parseModel(m, ['models', i], providers);
    if (ids.has(parsed.model.id)) fail(['models', i, 'id'], `duplicate model id ${JSON.stringify(parsed.model.id)}`);
    ids.add(parsed.model.id);
    models.push(parsed.model);
    endpoints.push(...parsed.endpoints);
  });
  return { providers: [...providers.values()], models, endpoints, pricesAsOf };
}

/** A calendar date, YYYY-MM-DD (YAML may have read it as a Date already). */
function parseDate(v: unknown, at: Seg[]): string {
  const s = v instanceof Date ? v.toISOString().slice(0, 10) : text(v, at, /^\d{4}-\d{2}-\d{2}$/, 'must be a date, YYYY-MM-DD');
  if (Number.isNaN(Date.parse(`${s}T00:00:00Z`))) fail(at, `must be a real date (got ${JSON.stringify(s)})`);
  return s;
}

/**
 * Parses and validates catalog YAML. Throws CatalogFileError naming `file`, the path of the first
 * problem (e.g. `models[3].endpoints[0].pricing.prompt`) and its line.
 */
export function parseCatalog(source: string, file: string): CatalogData {
  const lines = new LineCounter();
  const doc = parseDocument(source, { prettyErrors: true, lineCounter: lines });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    // prettyErrors puts the position and a code excerpt after the first line; we give the line.
    const reason = first.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    throw new CatalogFileError(file, '', `not valid YAML: ${reason}`, first.linePos?.[0].line ?? null);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw new CatalogFileError(file, '', `not valid YAML: ${(err as Error).message}`);
  }
  try {
    return validate(value);
  } catch (err) {
    if (!(err instanceof Problem)) throw err;
    throw new CatalogFileError(file, formatPath(err.at), err.problem, lineOf(doc, lines, err.at));
  }
}

/** The line of the deepest node along `at` that exists in the document (1-based). */
function lineOf(doc: ReturnType<typeof parseDocument>, lines: LineCounter, at: Seg[]): number | null {
  for (let n = at.length; n > 0; n--) {
    const node = doc.getIn(at.slice(0, n), true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
  }
  return null;
}

/** Reads and parses a catalog file; unreadable files get the same error type. */
export function readCatalogFile(file: string): CatalogData {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CatalogFileError(file, '', `cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseCatalog(source, file);
}
