import { IsBoolean, IsIn, IsInt, IsNumber, Max, Min } from 'class-validator';
import { Check, checkStop } from './checks';
import { Optional } from './optional';
import { RoutingFieldsDto } from './routing-fields';

/** Generation controls shared by chat and legacy text completions. */
export class SamplingFieldsDto extends RoutingFieldsDto {
  @Optional()
  @IsBoolean()
  stream?: boolean;

  @Optional()
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  max_tokens?: number;

  @Optional()
  @IsNumber()
  @Min(0)
  @Max(2)
  temperature?: number;

  @Optional()
  @IsNumber()
  @Min(0)
  @Max(1)
  top_p?: number;

  @Optional()
  @IsNumber()
  @Min(-2)
  @Max(2)
  frequency_penalty?: number;

  @Optional()
  @IsNumber()
  @Min(-2)
  @Max(2)
  presence_penalty?: number;

  @Optional()
  @IsInt()
  seed?: number;

  @Optional()
  @Check(checkStop)
  stop?: string | string[];

  /** Only one choice per request: several would multiply the cost beyond the hold. */
  @Optional()
  @IsIn([1], { message: 'n must be 1' })
  n?: number;
}
