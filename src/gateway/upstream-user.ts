import { sha256Hex } from '../common/crypto/tokens';

/**
 * The `user` a provider sees: a hash of the client's end-user id, so providers can tell end users
 * apart (abuse reports, their own caching) without learning who they are. Scoped to the account,
 * so the same id from two accounts is two users upstream; stable, so one end user stays one.
 */
export function upstreamUser(accountId: string, user: string): string {
  return sha256Hex(`switchyard:upstream-user:v1\0${accountId}\0${user}`);
}
