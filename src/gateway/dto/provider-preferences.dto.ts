import { IsBoolean, IsIn, IsOptional, ValidateIf } from 'class-validator';
import { Check, checkObject, checkStringList } from './checks';

const SORTS = ['price', 'throughput', 'latency'];

function checkSort(v: unknown): string | null {
  if (typeof v === 'string') return SORTS.includes(v) ? null : 'must be price, throughput or latency';
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const o = v as { by?: unknown; partition?: unknown };
    if (!SORTS.includes(String(o.by))) return 'sort.by must be price, throughput or latency';
    if (o.partition !== undefined && o.partition !== 'model' && o.partition !== 'none') return 'sort.partition must be model or none';
    return null;
  }
  return 'must be a string or {by, partition}';
}

function checkMaxPrice(v: unknown): string | null {
  if (checkObject(v)) return 'must be an object';
  for (const [k, price] of Object.entries(v as Record<string, unknown>)) {
    if (!['prompt', 'completion', 'request', 'image', 'audio'].includes(k)) return `has an unknown price ${k}`;
    const n = typeof price === 'string' ? Number(price) : price;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || n > 1e9)
      return `${k} must be a non-negative number (USD per million tokens)`;
  }
  return null;
}

/** OpenRouter's `provider` routing preferences. */
export class ProviderPreferencesDto {
  @IsOptional()
  @Check(checkStringList(50, 100))
  order?: string[];

  @IsOptional()
  @IsBoolean()
  allow_fallbacks?: boolean;

  @IsOptional()
  @IsBoolean()
  require_parameters?: boolean;

  /**
   * Ours, not OpenRouter's: false ends a stream that fails after output reached the client with an
   * error chunk instead of continuing it from a fallback (default: STREAM_CONTINUATION).
   */
  @IsOptional()
  @IsBoolean()
  allow_continuation?: boolean;

  @IsOptional()
  @IsIn(['allow', 'deny'])
  data_collection?: 'allow' | 'deny';

  @IsOptional()
  @IsBoolean()
  zdr?: boolean;

  @IsOptional()
  @Check(checkStringList(50, 100))
  only?: string[];

  @IsOptional()
  @Check(checkStringList(50, 100))
  ignore?: string[];

  @IsOptional()
  @Check(checkStringList(20, 20))
  quantizations?: string[];

  @ValidateIf((o: ProviderPreferencesDto) => o.sort !== undefined && o.sort !== null)
  @Check(checkSort)
  sort?: 'price' | 'throughput' | 'latency' | { by: 'price' | 'throughput' | 'latency'; partition?: 'model' | 'none' };

  @IsOptional()
  @Check(checkMaxPrice)
  max_price?: { prompt?: number | string; completion?: number | string; request?: number | string; image?: number | string };
}
