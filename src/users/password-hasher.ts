import { Injectable } from '@nestjs/common';
import { randomBytes, scrypt as scryptCb, ScryptOptions, timingSafeEqual } from 'node:crypto';

const scrypt = (password: string, salt: Buffer, keylen: number, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) =>
    scryptCb(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))),
  );

/** scrypt parameters: N=2^15, r=8 needs 32 MiB per hash, which is what makes it memory-hard. */
const LOG_N = 15;
const R = 8;
const P = 1;
const KEY_LEN = 32;

/**
 * Password hashing with scrypt from Node's crypto. The parameters are stored in each hash
 * (`scrypt$15$8$1$<salt>$<hash>`), so they can be raised later without breaking old hashes.
 */
@Injectable()
export class PasswordHasher {
  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await scrypt(password, salt, KEY_LEN, this.options(LOG_N, R, P));
    return ['scrypt', LOG_N, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
  }

  async verify(password: string, stored: string): Promise<boolean> {
    const parts = stored.split('$');
    if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
    const [logN, r, p] = parts.slice(1, 4).map(Number);
    const expected = Buffer.from(parts[5], 'base64url');
    const key = await scrypt(password, Buffer.from(parts[4], 'base64url'), expected.length, this.options(logN, r, p));
    return timingSafeEqual(key, expected);
  }

  /** Spends the same time as a real verification, so unknown emails cannot be told apart by timing. */
  async burn(password: string): Promise<void> {
    await scrypt(password, Buffer.alloc(16), KEY_LEN, this.options(LOG_N, R, P));
  }

  private options(logN: number, r: number, p: number): ScryptOptions {
    const N = 2 ** logN;
    return { N, r, p, maxmem: 256 * N * r + 1024 * 1024 };
  }
}
