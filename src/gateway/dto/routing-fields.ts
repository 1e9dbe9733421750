import { Type } from 'class-transformer';
import { IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { Check, checkStringList } from './checks';
import { ProviderPreferencesDto } from './provider-preferences.dto';

/** The OpenRouter routing fields every inference body shares. */
export class RoutingFieldsDto {
  @IsOptional()
  @IsString()
  @MaxLength(200)
  model?: string;

  @IsOptional()
  @Check(checkStringList(10))
  models?: string[];

  @IsOptional()
  @ValidateNested()
  @Type(() => ProviderPreferencesDto)
  provider?: ProviderPreferencesDto;

  @IsOptional()
  @IsString()
  @MaxLength(256)
  user?: string;
}
