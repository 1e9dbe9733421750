import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

export class CreateAppDto {
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @MinLength(1, { message: 'name must not be empty' })
  @MaxLength(100)
  name: string;

  @IsOptional()
  @IsString()
  @MaxLength(500)
  homepage?: string;

  /** Exact URIs: https, or http on a loopback host (any port at request time). */
  @IsArray()
  @ArrayMinSize(1, { message: 'redirect_uris needs at least one URI' })
  @ArrayMaxSize(10)
  @IsString({ each: true })
  @MaxLength(2000, { each: true })
  redirect_uris: string[];

  /** A server-side app that can keep a secret; it then authenticates at the token endpoint. */
  @IsOptional()
  @IsBoolean()
  confidential?: boolean;
}
