import { BoolField, ExpiresAtField, LimitField, LimitResetField } from './key-fields';

/** The settings a key can be created with and changed to. */
export class KeySettingsDto {
  @LimitField()
  limit?: number | null;

  @LimitResetField()
  limit_reset?: 'daily' | 'weekly' | 'monthly' | null;

  @BoolField()
  include_byok_in_limit?: boolean;

  @ExpiresAtField()
  expires_at?: string | null;
}
