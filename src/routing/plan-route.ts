/**
 * Which provider endpoints serve a request, in what order (OpenRouter's provider routing,
 * reference/openrouter-api.md §2.3, §2.4, §7). Pure: no Nest, no I/O; time, randomness and health
 * statistics come in as arguments so every decision can be replayed in tests.
 *
 * Choices where the spec leaves room:
 * - Every entry of `models` is validated up front: an unknown id, a `:free` variant the model does
 *   not have, an unsupported suffix or a model of the wrong kind (chat vs embedding) fails the whole
 *   request with 400, as a typo in a fallback list is a client bug best reported at once.
 * - `allow_fallbacks: false` limits providers within each model (the primary endpoint, or only the
 *   `order`ed ones); an explicit `models` list is still honoured, since listing models is itself an
 *   opt-in to model fallback.
 * - Outage: an endpoint is unstable while its circuit is open (`health.openUntil`; without one, while
 *   it has a failure in the last 30 s). That only moves it to the end (of its model's endpoints, and
 *   with several models, after the other models' ones), never removes it. `sort` and `order` are
 *   deterministic and ignore stability.
 * - Load-balancing weight is 1/price² with price = prompt + completion per million; zero-price
 *   endpoints (infinite weight) come first, shuffled uniformly among themselves.
 * - A model suffix (`:nitro`, `:floor`) sorts its own model and wins over `provider.sort`;
 *   `sort.partition: 'none'` merges all models' endpoints by `provider.sort.by`.
 * - Sticky endpoints go first unless `order` is given or the endpoint is currently unstable.
 * - Capability preference (tools, response_format, ...) narrows what the client's own filters left,
 *   `order` with `allow_fallbacks: false` included, and never empties it: a client that pinned a
 *   provider gets that provider, capable or not.
 * - Empty `order`, `only`, `ignore`, `quantizations` lists mean "no preference".
 * - Slugs in `order`/`only`/`ignore` match a provider's slug (case-insensitive, a base slug also
 *   matches `base/variant`) or its display name.
 * - When no model yields an endpoint, the first model's error is returned.
 */
import type { CatalogView, ModelDef, ProviderDef, ResolvedEndpoint } from '../catalog/catalog.types';
import { AppError } from '../common/errors/app-error';
import { usdToNanos } from '../common/money/money';

export type SortBy = 'price' | 'throughput' | 'latency';

export interface ProviderPreferences {
  order?: string[];
  allow_fallbacks?: boolean;
  require_parameters?: boolean;
  data_collection?: 'allow' | 'deny';
  zdr?: boolean;
  only?: string[];
  ignore?: string[];
  quantizations?: string[];
  sort?: SortBy | { by: SortBy; partition?: 'model' | 'none' };
  /** USD per million tokens (prompt, completion) or per unit (request, image). */
  max_price?: { prompt?: number | string; completion?: number | string; request?: number | string; image?: number | string };
}

export interface RouteInput {
  /** [model, ...models] as the client sent them, possibly with a suffix (:free, :nitro, :floor). */
  models: string[];
  provider?: ProviderPreferences;
  /** Request parameters present, OpenRouter vocabulary (temperature, tools, response_format, ...). */
  params: string[];
  promptTokens: number;
  maxTokens?: number;
  kind: 'chat' | 'embedding';
  /** A remembered endpoint for this conversation. */
  sticky?: { modelId: string; providerSlug: string } | null;
}

export interface RouteAttempt {
  resolved: ResolvedEndpoint;
  /** The model string as the client gave it, suffix included. */
  requestedModel: string;
}

export type RoutePlan = { ok: true; attempts: RouteAttempt[] } | { ok: false; error: AppError };

export interface EndpointHealth {
  /** Failures within the last OUTAGE_WINDOW_MS, across processes. */
  recentFailures: number;
  /** Epoch ms of the latest failure, or null. */
  lastFailureAt: number | null;
  /** Time to first token (or to the response), rolling average; null when unknown. */
  latencyMs: number | null;
  /** Output tokens per second while generating, rolling average; null when unknown. */
  throughputTps: number | null;
  /**
   * The circuit breaker's verdict, where one is kept: until when the endpoint goes last (null: it
   * routes normally). Without it, a failure within OUTAGE_WINDOW_MS makes the endpoint unstable.
   */
  openUntil?: number | null;
}

/**
 * How long a failure marks an endpoint unstable when its health carries no circuit breaker verdict
 * (OpenRouter: "no significant outages in the last 30 seconds"); the gateway's own window is
 * configured (ROUTING_OUTAGE_WINDOW_MS) and adapts (endpoint-health.service.ts).
 */
export const OUTAGE_WINDOW_MS = 30_000;

export const MODEL_SUFFIXES = ['free', 'nitro', 'floor'] as const;
export type ModelSuffix = (typeof MODEL_SUFFIXES)[number];

export interface ParsedModelSlug {
  modelId: string;
  suffix: ModelSuffix | null;
}

type Reason =
  | 'allowed_providers'
  | 'data_policy:training'
  | 'data_policy:zdr'
  | 'quantization'
  | 'max_price'
  | 'context_length'
  | 'max_tokens'
  | 'require_parameters'
  | 'order';

/**
 * Capabilities a request needs, in priority order: when present, routing keeps only the endpoints of
 * a model that list them, if any does (§2.3), without provider.require_parameters. A json_schema
 * request (which `structured_outputs` stands for) then prefers endpoints that enforce schemas over
 * those that only take JSON mode.
 */
const SOFT_PARAMS = ['tools', 'tool_choice', 'response_format', 'structured_outputs', 'verbosity'];

/** Request parameter -> other names an endpoint may list it under. */
const PARAM_ALIASES: Record<string, string[]> = {
  max_completion_tokens: ['max_tokens'],
  max_tokens: ['max_completion_tokens'],
  reasoning_effort: ['reasoning'],
};

/** Splits `author/slug:suffix`; throws a 400 AppError for a suffix we do not serve. */
export function parseModelSlug(id: string): ParsedModelSlug {
  const colon = id.indexOf(':', id.indexOf('/') + 1);
  if (colon < 0) return { modelId: id, suffix: null };
  const suffix = id.slice(colon + 1);
  if (!(MODEL_SUFFIXES as readonly string[]).includes(suffix)) {
    throw new AppError(
      'invalid_request',
      `${shown(id)} is not a valid model ID: unsupported variant ":${shown(suffix, 40)}" (supported: :free, :nitro, :floor)`,
      availability('model_not_found', [id]),
    );
  }
  return { modelId: id.slice(0, colon), suffix: suffix as ModelSuffix };
}

/** Stable identity of an endpoint across processes: health statistics and de-duplication use it. */
export function endpointKey(e: ResolvedEndpoint): string {
  return `${e.endpoint.providerSlug}|${e.endpoint.modelId}|${e.endpoint.variant ?? ''}`;
}

/** prompt + completion, nanodollars per million tokens: the price routing weighs and sorts by. */
export function tokenPrice(e: ResolvedEndpoint): bigint {
  return e.endpoint.pricing.prompt + e.endpoint.pricing.completion;
}

export function isUnstable(h: EndpointHealth, now: number): boolean {
  if (h.openUntil !== undefined) return h.openUntil !== null && now < h.openUntil;
  return h.recentFailures >= 1 && h.lastFailureAt !== null && now - h.lastFailureAt < OUTAGE_WINDOW_MS;
}

interface Target {
  requested: string;
  parsed: ParsedModelSlug;
  model: ModelDef;
}

interface Caps {
  prompt?: bigint;
  completion?: bigint;
  request?: bigint;
  image?: bigint;
}

/** The plan for a request (the choices are in the header above); a planning error comes back as `{ ok: false }`. */
export function planRoute(...args: Parameters<typeof plan>): RoutePlan {
  try {
    return plan(...args);
  } catch (err) {
    if (err instanceof AppError) return { ok: false, error: err };
    throw err;
  }
}

function plan(
  input: RouteInput,
  catalog: Pick<CatalogView, 'model' | 'endpoints'>,
  health: (e: ResolvedEndpoint) => EndpointHealth,
  now: number,
  rng: () => number,
): RoutePlan {
  const prefs = input.provider ?? {};
  if (input.models.length === 0) throw new AppError('invalid_request', 'No model given: set `model`');
  const targets = input.models.map((requested) => resolveTarget(requested, input, catalog));
  const caps = parseCaps(prefs.max_price);
  const { by: sortBy, partition } = parseSort(prefs.sort);

  const healthCache = new Map<ResolvedEndpoint, EndpointHealth>();
  const healthOf = (e: ResolvedEndpoint): EndpointHealth => {
    let h = healthCache.get(e);
    if (!h) healthCache.set(e, (h = health(e)));
    return h;
  };

  const attempts: RouteAttempt[] = [];
  const seen = new Set<string>();
  let firstError: AppError | null = null;
  let stickyEndpoint: ResolvedEndpoint | null = null;

  for (const [i, t] of targets.entries()) {
    const found = candidates(t, input, prefs, caps, catalog);
    if (!found.ok) {
      firstError ??= found.error;
      continue;
    }
    const modelSort = t.parsed.suffix === 'nitro' ? 'throughput' : t.parsed.suffix === 'floor' ? 'price' : sortBy;
    let list = orderWithinModel(found.list, modelSort, prefs, { healthOf, now, rng });
    if (i === 0 && !nonEmpty(prefs.order) && input.sticky) {
      const sticky = input.sticky;
      const hit = list.find(
        (e) =>
          (sticky.modelId === t.model.id || sticky.modelId === t.requested) &&
          e.endpoint.providerSlug === sticky.providerSlug &&
          !isUnstable(healthOf(e), now),
      );
      if (hit) {
        list = [hit, ...list.filter((e) => e !== hit)];
        stickyEndpoint = hit;
      }
    }
    // With `order`, candidates() already kept only the ordered providers.
    if (prefs.allow_fallbacks === false && !nonEmpty(prefs.order)) list = list.slice(0, 1);
    for (const e of list) {
      const key = endpointKey(e);
      if (seen.has(key)) continue;
      seen.add(key);
      attempts.push({ resolved: e, requestedModel: t.requested });
    }
  }

  if (partition === 'none' && sortBy) {
    // Stable: ties keep the model order of the `models` list.
    attempts.sort((a, b) => {
      const ra = orderRank(a.resolved.provider, prefs.order);
      const rb = orderRank(b.resolved.provider, prefs.order);
      return ra !== rb ? (ra < rb ? -1 : 1) : compareBy(sortBy, a.resolved, b.resolved, healthOf);
    });
    const at = attempts.findIndex((a) => a.resolved === stickyEndpoint);
    if (at > 0) attempts.unshift(...attempts.splice(at, 1));
  }

  // An endpoint in an outage goes after every other model's endpoints too, so a `models` fallback
  // serves while the first model's endpoints are down (still tried last, never removed).
  if (!nonEmpty(prefs.order) && !sortBy && targets.length > 1) {
    const down = attempts.filter((a) => isUnstable(healthOf(a.resolved), now));
    if (down.length > 0 && down.length < attempts.length)
      attempts.splice(0, attempts.length, ...attempts.filter((a) => !down.includes(a)), ...down);
  }

  if (attempts.length === 0) {
    return { ok: false, error: firstError ?? new AppError('not_found', 'No endpoints found for this request') };
  }
  return { ok: true, attempts };
}

function resolveTarget(requested: string, input: RouteInput, catalog: Pick<CatalogView, 'model' | 'endpoints'>): Target {
  const parsed = parseModelSlug(requested);
  const model = catalog.model(parsed.modelId);
  const notFound = () =>
    new AppError('invalid_request', `${shown(requested)} is not a valid model ID`, availability('model_not_found', input.models));
  if (!model) throw notFound();
  // A static variant is its own model ID: `:free` exists only where the catalog has a free endpoint.
  if (parsed.suffix === 'free' && !catalog.endpoints(model.id).some((e) => e.endpoint.variant === 'free')) {
    throw notFound();
  }
  if (model.kind !== input.kind) {
    const message =
      model.kind === 'embedding'
        ? `${shown(requested)} is an embedding model: use /api/v1/embeddings`
        : `${shown(requested)} is not an embedding model`;
    throw new AppError('invalid_request', message, availability('wrong_endpoint', input.models));
  }
  return { requested, parsed, model };
}

type Candidates = { ok: true; list: ResolvedEndpoint[] } | { ok: false; error: AppError };

/** The endpoints of one model that may serve the request, in catalog order. */
function candidates(
  t: Target,
  input: RouteInput,
  prefs: ProviderPreferences,
  caps: Caps,
  catalog: Pick<CatalogView, 'endpoints'>,
): Candidates {
  const requestedModels = input.models;
  const wantFree = t.parsed.suffix === 'free';
  const all = catalog.endpoints(t.model.id).filter((e) => (e.endpoint.variant === 'free') === wantFree);
  if (all.length === 0) {
    return {
      ok: false,
      error: new AppError('not_found', `No endpoints found for ${shown(t.requested)}`, availability('no_endpoints', requestedModels)),
    };
  }
  let list = all.filter((e) => e.routable);
  if (list.length === 0) {
    return {
      ok: false,
      error: new AppError(
        'service_unavailable',
        `No provider is configured for ${shown(t.requested)}`,
        availability('provider_not_configured', requestedModels),
      ),
    };
  }

  const total = input.promptTokens + (input.maxTokens ?? 0);
  const quantizations = nonEmpty(prefs.quantizations) ? prefs.quantizations.map((q) => q.toLowerCase()) : null;
  const filters: { reason: Reason; field: string; applies: boolean; keep: (e: ResolvedEndpoint) => boolean }[] = [
    {
      reason: 'allowed_providers',
      field: 'provider.only',
      applies: nonEmpty(prefs.only),
      keep: (e) => prefs.only!.some((s) => matchesSlug(e.provider, s)),
    },
    {
      reason: 'allowed_providers',
      field: 'provider.ignore',
      applies: nonEmpty(prefs.ignore),
      keep: (e) => !prefs.ignore!.some((s) => matchesSlug(e.provider, s)),
    },
    {
      reason: 'data_policy:training',
      field: 'provider.data_collection',
      applies: prefs.data_collection === 'deny',
      keep: (e) => !e.provider.dataPolicy.training,
    },
    { reason: 'data_policy:zdr', field: 'provider.zdr', applies: prefs.zdr === true, keep: (e) => e.provider.dataPolicy.zdr },
    {
      reason: 'quantization',
      field: 'provider.quantizations',
      applies: quantizations !== null,
      keep: (e) => quantizations!.includes(e.endpoint.quantization.toLowerCase()),
    },
    { reason: 'max_price', field: 'provider.max_price', applies: Object.keys(caps).length > 0, keep: (e) => withinCaps(e, caps) },
    { reason: 'context_length', field: 'context_length', applies: true, keep: (e) => total <= e.endpoint.contextLength },
    {
      reason: 'max_tokens',
      field: 'max_tokens',
      applies: input.maxTokens !== undefined,
      keep: (e) => (input.maxTokens ?? 0) <= e.endpoint.maxCompletionTokens,
    },
    {
      reason: 'require_parameters',
      field: 'provider.require_parameters',
      applies: prefs.require_parameters === true,
      keep: (e) => input.params.every((p) => supports(e, p)),
    },
    {
      reason: 'order',
      field: 'provider.order',
      applies: prefs.allow_fallbacks === false && nonEmpty(prefs.order),
      keep: (e) => orderRank(e.provider, prefs.order) < Infinity,
    },
  ];
  for (const { reason, field, applies, keep } of filters) {
    if (!applies) continue;
    const next = list.filter(keep);
    if (next.length === 0) {
      return { ok: false, error: filteredError(reason, field, t.requested, input, list) };
    }
    list = next;
  }
  // Soft preference: never empties the list, only narrows it to endpoints that honour the feature.
  for (const p of SOFT_PARAMS) {
    if (!input.params.includes(p)) continue;
    const next = list.filter((e) => supports(e, p));
    if (next.length > 0) list = next;
  }
  return { ok: true, list };
}

/** What the order of equally eligible endpoints depends on besides the request: health, time, chance. */
interface Conditions {
  healthOf: (e: ResolvedEndpoint) => EndpointHealth;
  now: number;
  rng: () => number;
}

function orderWithinModel(
  list: ResolvedEndpoint[],
  sortBy: SortBy | null,
  prefs: ProviderPreferences,
  conditions: Conditions,
): ResolvedEndpoint[] {
  const { healthOf } = conditions;
  const arrange = (items: ResolvedEndpoint[]) =>
    sortBy ? [...items].sort((a, b) => compareBy(sortBy, a, b, healthOf)) : loadBalance(items, conditions);
  if (!nonEmpty(prefs.order)) return arrange(list);
  const order = prefs.order;
  const ranked = list.filter((e) => orderRank(e.provider, order) < Infinity);
  const head = (sortBy ? [...ranked].sort((a, b) => compareBy(sortBy, a, b, healthOf)) : ranked).sort(
    (a, b) => orderRank(a.provider, order) - orderRank(b.provider, order),
  );
  const rest = list.filter((e) => orderRank(e.provider, order) === Infinity);
  return [...head, ...arrange(rest)];
}

/** OpenRouter's default: stable endpoints by 1/price²-weighted lottery, recently failing ones last by price. */
function loadBalance(list: ResolvedEndpoint[], { healthOf, now, rng }: Conditions): ResolvedEndpoint[] {
  const stable: ResolvedEndpoint[] = [];
  const unstable: ResolvedEndpoint[] = [];
  for (const e of list) (isUnstable(healthOf(e), now) ? unstable : stable).push(e);
  const free = stable.filter((e) => tokenPrice(e) === 0n);
  const paid = stable.filter((e) => tokenPrice(e) > 0n);
  return [
    ...weightedShuffle(free, () => 1, rng),
    ...weightedShuffle(
      paid,
      (e) => {
        const usd = Number(tokenPrice(e)) / 1e9;
        return 1 / (usd * usd);
      },
      rng,
    ),
    ...unstable.sort((a, b) => comparePrice(a, b)),
  ];
}

/** Weighted random order without replacement. */
function weightedShuffle<T>(items: T[], weight: (item: T) => number, rng: () => number): T[] {
  const pool = items.map((item) => ({ item, w: weight(item) }));
  const out: T[] = [];
  while (pool.length > 0) {
    const total = pool.reduce((sum, p) => sum + p.w, 0);
    let r = rng() * total;
    let pick = pool.length - 1; // float rounding can leave r just above the last bound
    for (let i = 0; i < pool.length; i++) {
      r -= pool[i].w;
      if (r < 0) {
        pick = i;
        break;
      }
    }
    out.push(pool.splice(pick, 1)[0].item);
  }
  return out;
}

function compareBy(by: SortBy, a: ResolvedEndpoint, b: ResolvedEndpoint, healthOf: (e: ResolvedEndpoint) => EndpointHealth): number {
  if (by === 'throughput') {
    return compareKnown(healthOf(a).throughputTps, healthOf(b).throughputTps, -1) || comparePrice(a, b);
  }
  if (by === 'latency') return compareKnown(healthOf(a).latencyMs, healthOf(b).latencyMs, 1) || comparePrice(a, b);
  return comparePrice(a, b);
}

/** Known values first, in `dir` order (1 ascending, -1 descending); unknown ones last. */
function compareKnown(a: number | null, b: number | null, dir: 1 | -1): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  return (a - b) * dir;
}

function comparePrice(a: ResolvedEndpoint, b: ResolvedEndpoint): number {
  const pa = tokenPrice(a);
  const pb = tokenPrice(b);
  return pa < pb ? -1 : pa > pb ? 1 : 0;
}

function matchesSlug(provider: ProviderDef, wanted: string): boolean {
  const w = wanted.toLowerCase();
  const slug = provider.slug.toLowerCase();
  return slug === w || slug.startsWith(`${w}/`) || provider.name.toLowerCase() === w;
}

function orderRank(provider: ProviderDef, order: string[] | undefined): number {
  if (!order) return Infinity;
  const i = order.findIndex((s) => matchesSlug(provider, s));
  return i < 0 ? Infinity : i;
}

function supports(e: ResolvedEndpoint, param: string): boolean {
  const listed = e.endpoint.supportedParameters;
  return listed.includes(param) || (PARAM_ALIASES[param] ?? []).some((p) => listed.includes(p));
}

function withinCaps(e: ResolvedEndpoint, caps: Caps): boolean {
  const p = e.endpoint.pricing;
  return (
    (caps.prompt === undefined || p.prompt <= caps.prompt) &&
    (caps.completion === undefined || p.completion <= caps.completion) &&
    (caps.request === undefined || p.request <= caps.request) &&
    (caps.image === undefined || p.image <= caps.image)
  );
}

function parseCaps(maxPrice: ProviderPreferences['max_price']): Caps {
  const caps: Caps = {};
  if (!maxPrice) return caps;
  for (const field of ['prompt', 'completion', 'request', 'image'] as const) {
    const value = maxPrice[field];
    if (value === undefined || value === null) continue;
    let nanos: bigint | null = null;
    if (typeof value === 'number' || typeof value === 'string') {
      try {
        nanos = usdToNanos(value);
      } catch {
        nanos = null;
      }
    }
    if (nanos === null || nanos < 0n) {
      throw new AppError('invalid_request', `provider.max_price.${field} must be a non-negative USD amount`);
    }
    caps[field] = nanos;
  }
  return caps;
}

function parseSort(sort: ProviderPreferences['sort']): { by: SortBy | null; partition: 'model' | 'none' } {
  if (sort === undefined || sort === null) return { by: null, partition: 'model' };
  const by = typeof sort === 'string' ? sort : sort.by;
  const partition = typeof sort === 'object' ? (sort.partition ?? 'model') : 'model';
  if (!['price', 'throughput', 'latency'].includes(by) || !['model', 'none'].includes(partition)) {
    throw new AppError('invalid_request', 'provider.sort must be "price", "throughput" or "latency" (partition "model" or "none")');
  }
  return { by, partition };
}

const PHRASES: Record<Reason, (input: RouteInput, before: ResolvedEndpoint[]) => string> = {
  allowed_providers: () => 'match provider.only / provider.ignore',
  'data_policy:training': () => 'match your data policy (provider.data_collection: "deny")',
  'data_policy:zdr': () => 'offer zero data retention (provider.zdr)',
  quantization: (i) => `match provider.quantizations (${(i.provider?.quantizations ?? []).join(', ')})`,
  max_price: () => 'are within provider.max_price',
  context_length: (i) => `fit ${i.promptTokens + (i.maxTokens ?? 0)} tokens (prompt + max_tokens) in their context length`,
  max_tokens: (i) => `allow max_tokens of ${i.maxTokens}`,
  require_parameters: (i, before) => {
    const missing = i.params.filter((p) => !before.some((e) => supports(e, p)));
    return `support all the requested parameters (provider.require_parameters): ${(missing.length ? missing : i.params).join(', ')}`;
  },
  order: () => 'match provider.order with provider.allow_fallbacks: false',
};

function filteredError(reason: Reason, field: string, requested: string, input: RouteInput, before: ResolvedEndpoint[]): AppError {
  const detail = PHRASES[reason](input, before);
  const code = reason.startsWith('data_policy:') ? 'privacy_restricted' : 'constraint_filtered';
  return new AppError('not_found', `No endpoints found that ${detail} (model ${shown(requested)})`, {
    availability: {
      ...(availability(code, input.models).availability as object),
      excluded_by: [reason],
      constraint: { field, detail },
    },
  });
}

function availability(code: string, requestedModels: string[]): { availability: Record<string, unknown> } {
  return { availability: { code, retryable: false, requested_models: requestedModels.map((m) => shown(m)) } };
}

function nonEmpty<T>(list: T[] | undefined | null): list is T[] {
  return Array.isArray(list) && list.length > 0;
}

/** Client-supplied text echoed in messages, kept short. */
function shown(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}...` : text;
}
