import { IsBoolean, IsIn, IsInt, IsNumber, IsOptional, Max, Min } from 'class-validator';
import { Check, checkStop } from './checks';
import { RoutingFieldsDto } from './routing-fields';

/** Generation controls shared by chat and legacy text completions. */
export class SamplingFieldsDto extends RoutingFieldsDto {
  @IsOptional()
  @IsBoolean()
  stream?: boolean;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  max_tokens?: number;

  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(2)
  temperature?: number;

  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  top_p?: number;

  @IsOptional()
  @IsNumber()
  @Min(-2)
  @Max(2)
  frequency_penalty?: number;

  @IsOptional()
  @IsNumber()
  @Min(-2)
  @Max(2)
  presence_penalty?: number;

  @IsOptional()
  @IsInt()
  seed?: number;

  @IsOptional()
  @Check(checkStop)
  stop?: string | string[];

  /** Only one choice per request: several would multiply the cost beyond the hold. */
  @IsOptional()
  @IsIn([1], { message: 'n must be 1' })
  n?: number;
}
