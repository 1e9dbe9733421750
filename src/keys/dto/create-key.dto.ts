import { BoolField, NameField } from './key-fields';
import { KeySettingsDto } from './key-settings.dto';

export class CreateKeyDto extends KeySettingsDto {
  @NameField()
  name: string;

  /** Create a management key (keys API only, no inference). Not for management-key callers. */
  @BoolField()
  management?: boolean;
}
