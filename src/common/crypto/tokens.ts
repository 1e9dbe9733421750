import { createHash, randomBytes, randomFillSync } from 'node:crypto';

/** A 256-bit random token, base64url. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Lower-case hex SHA-256: how tokens and keys are stored and looked up. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let poolOffset = POOL_SIZE;

/**
 * Random bytes for identifiers minted on every request (generation ids), base64url. They come
 * from one CSPRNG fill per 4 KB, as `crypto.randomUUID` does, instead of a call per id; each byte
 * is used once.
 */
export function randomIdBytes(bytes: number): string {
  if (bytes > POOL_SIZE) return randomBytes(bytes).toString('base64url');
  if (poolOffset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const id = pool.toString('base64url', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return id;
}
