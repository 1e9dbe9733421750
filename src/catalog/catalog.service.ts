import { Injectable } from '@nestjs/common';
import { join, resolve } from 'node:path';
import { AppConfig } from '../common/config/app-config';
import { AppLogger } from '../common/logging/app-logger';
import { readCatalogFile } from './catalog-file';
import { CatalogErrors } from './catalog.errors';
import { entriesOf, ModelEntry, presentEndpoint, presentEndpoints, presentModel, representative } from './catalog.presenter';
import type { CatalogView, EndpointPricing, ModelDef, ProviderDef, ResolvedEndpoint } from './catalog.types';
import { CatalogSort, CATALOG_SORTS, ListModelsQuery } from './dto/list-models.query';
import type { ModelDto, ModelEndpointsDto, ModelListDto, ProviderDto, PublicEndpointDto } from './dto/model.dto';

/**
 * Repository root from src/catalog (ts under jest) or dist/src/catalog (compiled). The YAML is not
 * compiled, so it is read from src/ in both cases; the Dockerfile copies it there.
 */
const ROOT = __filename.endsWith('.js') ? join(__dirname, '..', '..', '..') : join(__dirname, '..', '..');
export const DEFAULT_CATALOG_FILE = join(ROOT, 'src', 'catalog', 'default-catalog.yaml');

const DEFAULT_PAGE = 500;
const ALL = 'all';
/** The query parameters links.next carries over, besides offset and limit. */
const CARRIED = [
  'category',
  'supported_parameters',
  'input_modalities',
  'output_modalities',
  'sort',
  'q',
  'context',
  'min_price',
  'max_price',
  'min_output_price',
  'max_output_price',
  'model_authors',
  'providers',
  'zdr',
] as const;

interface Listed {
  entry: ModelEntry;
  dto: ModelDto;
  parameters: Set<string>;
  /** The prices the listing shows (its representative endpoint's). */
  pricing: EndpointPricing;
}

/** USD per million tokens (a query bound) -> nanodollars per million tokens (catalog prices). */
const usdPerMillionToNanos = (usd: number): bigint => BigInt(Math.round(usd * 1e9));

const inRange = (price: bigint, min: number | undefined, max: number | undefined): boolean =>
  (min === undefined || price >= usdPerMillionToNanos(min)) && (max === undefined || price <= usdPerMillionToNanos(max));

/** Orders for the sorts the catalog has data for; Array.sort is stable, so ties keep catalog order. */
const SORTS: Record<CatalogSort, (a: Listed, b: Listed) => number> = {
  'pricing-low-to-high': (a, b) => compare(a.pricing.prompt + a.pricing.completion, b.pricing.prompt + b.pricing.completion),
  'pricing-high-to-low': (a, b) => compare(b.pricing.prompt + b.pricing.completion, a.pricing.prompt + a.pricing.completion),
  'context-high-to-low': (a, b) => b.dto.context_length - a.dto.context_length,
  newest: (a, b) => b.entry.model.created - a.entry.model.created,
};

function compare(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const isCatalogSort = (sort: string | undefined): sort is CatalogSort => (CATALOG_SORTS as readonly (string | undefined)[]).includes(sort);

/**
 * The model catalog, loaded and validated once when the module is built: a bad file fails the boot
 * with a path-qualified message rather than the first request.
 */
@Injectable()
export class CatalogService implements CatalogView {
  /** The file the catalog was read from. */
  readonly file: string;
  private readonly modelsById = new Map<string, ModelDef>();
  private readonly providersBySlug = new Map<string, ProviderDef>();
  private readonly endpointsByModel = new Map<string, ResolvedEndpoint[]>();
  private readonly keys = new Map<string, string | null>();
  /** The /models listing, in catalog order, presented once. */
  private readonly entries: Listed[] = [];
  private readonly entriesById = new Map<string, ModelEntry>();

  constructor(config: AppConfig, logger: AppLogger) {
    this.file = config.catalog.file ? resolve(config.catalog.file) : DEFAULT_CATALOG_FILE;
    const data = readCatalogFile(this.file);

    for (const p of data.providers) {
      this.providersBySlug.set(p.slug, p);
      // Keyless local servers (api_key_env: null) are routable without a key.
      this.keys.set(p.slug, p.apiKeyEnv === null ? null : config.providerKey(p.apiKeyEnv));
    }
    for (const m of data.models) {
      this.modelsById.set(m.id, m);
      this.endpointsByModel.set(m.id, []);
    }
    for (const e of data.endpoints) {
      const provider = this.providersBySlug.get(e.providerSlug)!;
      this.endpointsByModel.get(e.modelId)!.push({
        endpoint: e,
        model: this.modelsById.get(e.modelId)!,
        provider,
        routable: provider.apiKeyEnv === null || this.keys.get(provider.slug) !== null,
      });
    }
    for (const m of data.models) {
      for (const entry of entriesOf(m, this.endpointsByModel.get(m.id)!)) {
        const dto = presentModel(entry);
        this.entries.push({
          entry,
          dto,
          parameters: new Set(dto.supported_parameters),
          pricing: representative(entry.endpoints).endpoint.pricing,
        });
        this.entriesById.set(entry.id, entry);
      }
    }

    const unconfigured = data.providers.filter((p) => p.apiKeyEnv !== null && this.keys.get(p.slug) === null);
    logger.info(
      {
        file: this.file,
        providers: data.providers.length,
        models: data.models.length,
        endpoints: data.endpoints.length,
        unconfigured: unconfigured.map((p) => `${p.slug} (${p.apiKeyEnv})`),
      },
      'model catalog loaded',
    );
  }

  model(id: string): ModelDef | undefined {
    return this.modelsById.get(id);
  }

  provider(slug: string): ProviderDef | undefined {
    return this.providersBySlug.get(slug);
  }

  endpoints(modelId: string): ResolvedEndpoint[] {
    return [...(this.endpointsByModel.get(modelId) ?? [])];
  }

  models(): ModelDef[] {
    return [...this.modelsById.values()];
  }

  providers(): ProviderDef[] {
    return [...this.providersBySlug.values()];
  }

  /** The provider's API key; null when unset, for keyless providers, or for an unknown slug. */
  apiKeyFor(providerSlug: string): string | null {
    return this.keys.get(providerSlug) ?? null;
  }

  /**
   * `GET /api/v1/models`: filtered, sorted, then paged. `GET /api/v1/embeddings/models` is the same
   * listing of the embedding models, whatever output modalities they declare.
   */
  listModels(q: ListModelsQuery, scope: 'all' | 'embeddings' = 'all'): ModelListDto {
    const embeddings = scope === 'embeddings';
    const params = csv(q.supported_parameters);
    const input = q.input_modalities?.trim() === ALL ? [] : (csv(q.input_modalities) ?? ['text']);
    const output = q.output_modalities?.trim() === ALL ? [] : (csv(q.output_modalities) ?? (embeddings ? [] : ['text']));
    const text = q.q?.trim().toLowerCase() || null;
    const authors = lowerSet(q.model_authors);
    const providers = lowerSet(q.providers);
    const matching = this.entries.filter(
      ({ entry, dto, parameters, pricing }) =>
        (!embeddings || entry.model.kind === 'embedding') &&
        (params ?? []).every((p) => parameters.has(p)) &&
        input.every((m) => entry.model.inputModalities.includes(m)) &&
        output.every((m) => entry.model.outputModalities.includes(m)) &&
        (text === null || entry.id.toLowerCase().includes(text) || dto.name.toLowerCase().includes(text)) &&
        (q.context === undefined || dto.context_length >= q.context) &&
        inRange(pricing.prompt, q.min_price, q.max_price) &&
        inRange(pricing.completion, q.min_output_price, q.max_output_price) &&
        (authors === null || authors.has(entry.model.id.split('/')[0].toLowerCase())) &&
        (providers === null || entry.endpoints.some((e) => providers.has(e.provider.slug.toLowerCase()))) &&
        (q.zdr !== true || entry.endpoints.some((e) => e.provider.dataPolicy.zdr)),
    );
    if (isCatalogSort(q.sort)) matching.sort(SORTS[q.sort]);

    const paged = q.offset !== undefined || q.limit !== undefined;
    const offset = q.offset ?? 0;
    const limit = paged ? (q.limit ?? DEFAULT_PAGE) : matching.length;
    const page = matching.slice(offset, offset + limit);
    let next: string | null = null;
    if (paged && offset + limit < matching.length) {
      const search = new URLSearchParams();
      for (const key of CARRIED) {
        if (q[key] !== undefined) search.set(key, String(q[key]));
      }
      search.set('offset', String(offset + limit));
      search.set('limit', String(limit));
      next = `/api/v1/${embeddings ? 'embeddings/models' : 'models'}?${search.toString()}`;
    }
    return { data: page.map((e) => e.dto), total_count: matching.length, links: { next } };
  }

  /** `GET /api/v1/providers`: the catalog's providers (it records no policy or status page links). */
  listProviders(): ProviderDto[] {
    return this.providers().map((p) => ({
      name: p.name,
      slug: p.slug,
      privacy_policy_url: null,
      terms_of_service_url: null,
      status_page_url: null,
    }));
  }

  /** `GET /api/v1/model/:author/:slug`: the model as `GET /models` lists it; `id` may end in `:free`. */
  listedModel(id: string): ModelDto {
    const found = this.entries.find((e) => e.entry.id === id);
    if (!found) throw CatalogErrors.modelNotFound(id);
    return found.dto;
  }

  /** `GET /api/v1/endpoints/zdr`: every listed model's endpoints at providers that retain no data, as the endpoints listing shows them. */
  zdrEndpoints(): PublicEndpointDto[] {
    return this.entries.flatMap(({ entry }) =>
      entry.endpoints.filter((r) => r.provider.dataPolicy.zdr).map((r) => presentEndpoint(entry, r)),
    );
  }

  /** `GET /api/v1/models/:author/:slug/endpoints`; `id` may end in `:free`. */
  modelEndpoints(id: string): ModelEndpointsDto {
    const entry = this.entriesById.get(id);
    if (!entry) throw CatalogErrors.modelNotFound(id);
    return presentEndpoints(entry);
  }
}

/** csv as a lower-case set; null when the parameter is absent or lists nothing. */
function lowerSet(value: string | undefined): Set<string> | null {
  const items = csv(value)?.map((s) => s.toLowerCase());
  return items?.length ? new Set(items) : null;
}

/** `a, b,,c` -> [a, b, c]; undefined when the parameter is absent. */
function csv(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
