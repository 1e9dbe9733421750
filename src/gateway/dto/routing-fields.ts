import { Type } from 'class-transformer';
import { IsString, MaxLength, ValidateNested } from 'class-validator';
import { Check, checkStringList } from './checks';
import { Optional } from './optional';
import { ProviderPreferencesDto } from './provider-preferences.dto';

/** The OpenRouter routing fields every inference body shares. */
export class RoutingFieldsDto {
  @Optional()
  @IsString()
  @MaxLength(200)
  model?: string;

  @Optional()
  @Check(checkStringList(10))
  models?: string[];

  @Optional()
  @ValidateNested()
  @Type(() => ProviderPreferencesDto)
  provider?: ProviderPreferencesDto;

  @Optional()
  @IsString()
  @MaxLength(256)
  user?: string;
}
