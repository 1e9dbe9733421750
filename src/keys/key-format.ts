import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../common/crypto/tokens';

/** `sk-sy-v1-` + 64 lower-case hex characters (32 random bytes), like OpenRouter's `sk-or-v1-`. */
export const KEY_PREFIX = 'sk-sy-v1-';
const KEY_SHAPE = /^sk-sy-v1-[0-9a-f]{64}$/;
export const KEY_HASH_SHAPE = /^[0-9a-f]{64}$/;

export interface NewKeyMaterial {
  key: string;
  hash: string;
  label: string;
}

export function generateKey(): NewKeyMaterial {
  const secret = randomBytes(32).toString('hex');
  const key = `${KEY_PREFIX}${secret}`;
  return { key, hash: sha256Hex(key), label: `${KEY_PREFIX}${secret.slice(0, 3)}...${secret.slice(-4)}` };
}

export function isWellFormedKey(value: string): boolean {
  return KEY_SHAPE.test(value);
}

export const hashKey = sha256Hex;
