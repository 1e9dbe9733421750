import { IsOptional, IsString, Matches } from 'class-validator';

export class ActivityQuery {
  /** One UTC day (YYYY-MM-DD) of the last 30 completed ones. */
  @IsOptional()
  @IsString()
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'date must be a UTC day as YYYY-MM-DD' })
  date?: string;

  /** Only the requests of this key of the user (its hash, as the keys API shows it). */
  @IsOptional()
  @IsString()
  @Matches(/^[0-9a-f]{64}$/, { message: 'api_key_hash must be a key hash from the keys API' })
  api_key_hash?: string;
}
