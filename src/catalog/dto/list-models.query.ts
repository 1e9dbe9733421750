import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { AcceptsUnknownFields } from '../../common/http/validation.pipe';

const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value);
const toNumber = ({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) ? Number(value) : value);
const toBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

/** Sorts the catalog has data for: price, context length, creation date. */
export const CATALOG_SORTS = ['pricing-low-to-high', 'pricing-high-to-low', 'context-high-to-low', 'newest'] as const;
/** OpenRouter's sorts by usage, speed or benchmarks: accepted, the catalog order is kept. */
const UNRANKED_SORTS = [
  'most-popular',
  'top-weekly',
  'throughput-high-to-low',
  'latency-low-to-high',
  'intelligence-high-to-low',
  'coding-high-to-low',
  'agentic-high-to-low',
  'design-arena-elo-high-to-low',
];
export type CatalogSort = (typeof CATALOG_SORTS)[number];
const SORTS = [...CATALOG_SORTS, ...UNRANKED_SORTS];

const CONTEXT_MESSAGE = 'context must be a non-negative integer (tokens)';
/** USD per million tokens; far above any real price, and keeps the nanodollar conversion exact. */
const MAX_PRICE = 1_000_000;

/** An optional price bound in USD per million tokens, with one message for every way it can be wrong. */
const PriceBound = (): PropertyDecorator => (target, key) => {
  const message = `${String(key)} must be a non-negative number (USD per million tokens, at most ${MAX_PRICE})`;
  IsOptional()(target, key);
  Transform(toNumber)(target, key);
  IsNumber({}, { message })(target, key);
  Min(0, { message })(target, key);
  Max(MAX_PRICE, { message })(target, key);
};

/**
 * `GET /api/v1/models` query. The filters the catalog has data for are checked by type; OpenRouter's
 * other documented filters (region, distillable, use_rss, benchmark filters, ...) and unknown
 * parameters are dropped, as OpenRouter ignores what it does not use.
 */
@AcceptsUnknownFields()
export class ListModelsQuery {
  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: 'offset must be a non-negative integer' })
  @Min(0)
  @Max(1_000_000)
  offset?: number;

  /** Default 500 when offset is given; both omitted = the full list. */
  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: 'limit must be an integer from 1 to 1000' })
  @Min(1)
  @Max(1000)
  limit?: number;

  /** Accepted for compatibility; OpenRouter ranks categories by usage data we do not have, so it does not filter. */
  @IsOptional()
  @IsString()
  @MaxLength(100)
  category?: string;

  /** csv: only models supporting every listed parameter. */
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  supported_parameters?: string;

  /** csv (models taking every listed modality) or `all`; default `text`. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  input_modalities?: string;

  /** csv (models producing every listed modality) or `all`; default `text`, which leaves out embedding models. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  output_modalities?: string;

  @IsOptional()
  @IsIn(SORTS, { message: `sort must be one of ${SORTS.join(', ')}` })
  sort?: string;

  /** Case-insensitive text searched for in the model id and name. */
  @IsOptional()
  @IsString({ message: 'q must be a string (given once)' })
  @MaxLength(200, { message: 'q must be a string (given once) of at most 200 characters' })
  q?: string;

  /** Minimum context length, in tokens. */
  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: CONTEXT_MESSAGE })
  @Min(0, { message: CONTEXT_MESSAGE })
  context?: number;

  /** Listed prompt price bounds, USD per million tokens (inclusive). */
  @PriceBound()
  min_price?: number;

  @PriceBound()
  max_price?: number;

  /** Listed completion price bounds, USD per million tokens (inclusive). */
  @PriceBound()
  min_output_price?: number;

  @PriceBound()
  max_output_price?: number;

  /** csv of authors (`openai`, `anthropic`): models by any of them. */
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  model_authors?: string;

  /** csv of provider slugs: models served by any of them. */
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  providers?: string;

  /** `true`: only models with a zero-data-retention endpoint. */
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean({ message: 'zdr must be true or false' })
  zdr?: boolean;
}
