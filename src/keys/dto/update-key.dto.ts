import { IsOptional } from 'class-validator';
import { BoolField, NameField } from './key-fields';
import { KeySettingsDto } from './key-settings.dto';

export class UpdateKeyDto extends KeySettingsDto {
  @IsOptional()
  @NameField()
  name?: string;

  @BoolField()
  disabled?: boolean;
}
