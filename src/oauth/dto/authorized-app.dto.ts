import type { KeyDto } from '../../keys/dto/key.dto';

export type AppKeyDto = Pick<
  KeyDto,
  'hash' | 'name' | 'label' | 'disabled' | 'limit' | 'limit_remaining' | 'limit_reset' | 'usage' | 'created_at'
>;

/** An app the user authorized, with the keys it holds and what they spent (USD). */
export interface AuthorizedAppDto {
  app_id: string;
  name: string;
  /** Where the app runs: the callback origin (OpenRouter-style apps) or the homepage's. */
  origin: string | null;
  homepage: string | null;
  registered: boolean;
  usage: number;
  keys: AppKeyDto[];
}
