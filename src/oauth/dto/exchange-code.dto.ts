import { IsOptional, IsString, MaxLength } from 'class-validator';
import { AcceptsUnknownFields } from '../../common/http/validation.pipe';

/** `POST /api/v1/auth/keys`, as OpenRouter's SDKs send it. */
@AcceptsUnknownFields()
export class ExchangeCodeDto {
  @IsString()
  @MaxLength(10_000)
  code: string;

  // Optional here so a missing verifier gets OpenRouter's 403, not a validation 400.
  @IsOptional()
  @IsString()
  @MaxLength(10_000)
  code_verifier?: string;

  @IsOptional()
  @IsString()
  @MaxLength(100)
  code_challenge_method?: string | null;
}
