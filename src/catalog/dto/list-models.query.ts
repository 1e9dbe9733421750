import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value);

/** `GET /api/v1/models` query: the subset of OpenRouter's filters the catalog can answer. */
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
}
