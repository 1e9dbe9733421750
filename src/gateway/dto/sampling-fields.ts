import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNumber, IsString, Max, MaxLength, Min } from 'class-validator';
import { Check, checkPlugins, checkStop, PluginEntry } from './checks';
import { Optional } from './optional';
import { RoutingFieldsDto } from './routing-fields';

/** Several property decorators as one, applied last to first as a stack of `@` lines would be. */
const field =
  (...decorators: PropertyDecorator[]): PropertyDecorator =>
  (target, key) => {
    for (const decorate of [...decorators].reverse()) decorate(target, key);
  };

/*
 * The field declarations the inference bodies share (chat, legacy completions, Responses, Messages):
 * declared once so the APIs cannot drift apart on a range or an alias.
 */

export const StreamField = (): PropertyDecorator => field(Optional(), IsBoolean());

/** A token limit: `max_tokens`, `max_output_tokens`. */
export const TokenLimitField = (): PropertyDecorator => field(Optional(), IsInt(), Min(1), Max(10_000_000));

/** `temperature`: 0..2 for the OpenAI family, 0..1 for Anthropic's Messages. */
export const TemperatureField = (max: number): PropertyDecorator => field(Optional(), IsNumber(), Min(0), Max(max));

export const TopPField = (): PropertyDecorator => field(Optional(), IsNumber(), Min(0), Max(1));

/** A short client-chosen key: `session_id`, `prompt_cache_key`. */
export const KeyField = (): PropertyDecorator => field(Optional(), IsString(), MaxLength(256));

/** `service_tier`; `fast` is OpenRouter's alias of `priority`, which is what upstreams understand. */
export const ServiceTierField = (): PropertyDecorator =>
  field(
    Optional(),
    Transform(({ value }: { value: unknown }) => (value === 'fast' ? 'priority' : value)),
    IsIn(['auto', 'default', 'fast', 'flex', 'priority', 'scale']),
  );

/** Generation controls shared by chat and legacy text completions. */
export class SamplingFieldsDto extends RoutingFieldsDto {
  @StreamField()
  stream?: boolean;

  @TokenLimitField()
  max_tokens?: number;

  @TemperatureField(2)
  temperature?: number;

  @TopPField()
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
