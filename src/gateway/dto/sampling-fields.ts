import { IsBoolean, IsIn, IsInt, IsNumber, Max, Min } from 'class-validator';
import { Check, checkPlugins, checkStop, PluginEntry } from './checks';
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

  /** OpenRouter's plugins: response-healing is served (non-streaming JSON answers); any other id is refused by name. */
  @Optional()
  @Check(checkPlugins(['response-healing']))
  plugins?: PluginEntry[];
}
