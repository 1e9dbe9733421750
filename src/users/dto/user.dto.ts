/** A user as the API shows it. */
export interface UserDto {
  id: string;
  email: string;
  email_verified: boolean;
  name: string | null;
  created_at: string;
}
