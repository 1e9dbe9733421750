import { Transform } from 'class-transformer';
import { IsEmail, IsString, Matches, MaxLength, MinLength } from 'class-validator';

const LINK_TOKEN = /^[A-Za-z0-9_-]{43}$/;

export class EmailLinkDto {
  @IsString()
  @Matches(LINK_TOKEN, { message: 'token must be the token from the emailed link' })
  token: string;
}

export class PasswordResetRequestDto {
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(254)
  email: string;
}

export class PasswordResetDto extends EmailLinkDto {
  @IsString()
  @MinLength(10, { message: 'password must be at least 10 characters' })
  @MaxLength(256)
  password: string;
}
