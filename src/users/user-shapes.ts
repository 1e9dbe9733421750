import { UserDto } from './dto/user.dto';
import { UserEntity } from './entities/user.entity';

/** Emails are compared and stored trimmed and lower-cased. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function toUserDto(u: UserEntity): UserDto {
  return {
    id: u.id,
    email: u.email,
    email_verified: u.emailVerified,
    name: u.displayName,
    created_at: u.createdAt.toISOString(),
  };
}
