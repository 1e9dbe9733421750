import { Injectable } from '@nestjs/common';
import { randomBytes, scrypt as scryptCb, ScryptOptions, timingSafeEqual } from 'node:crypto';
import { AppError } from '../common/errors/app-error';

const scrypt = (password: string, salt: Buffer, keylen: number, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) => scryptCb(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))));

/** scrypt parameters: N=2^15, r=8 needs 32 MiB per hash, which is what makes it memory-hard. */
const LOG_N = 15;
const R = 8;
const P = 1;
const KEY_LEN = 32;

type Lane = 'verify' | 'hash';

/**
 * Password hashing with scrypt from Node's crypto. The parameters are stored in each hash
 * (`scrypt$15$8$1$<salt>$<hash>`), so they can be raised later without breaking old hashes.
 *
 * Each scrypt takes 32 MiB and a libuv thread (shared with DNS and file I/O) for tens of
 * milliseconds, so at most CONCURRENCY run at once per process. Sign-ins (verify, and burn for
 * unknown emails) go ahead of new-password hashes (sign-up, reset), so a burst of sign-ups cannot
 * delay the people signing in by more than the hashes already running. When MAX_WAITING are
 * already queued, further work is refused at once with a 503 and `Retry-After: 1`.
 */
@Injectable()
export class PasswordHasher {
  static readonly CONCURRENCY = 2;
  static readonly MAX_WAITING = 32;

  private running = 0;
  private readonly waiting: Record<Lane, (() => void)[]> = { verify: [], hash: [] };

  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await this.run('hash', () => scrypt(password, salt, KEY_LEN, this.options(LOG_N, R, P)));
    return ['scrypt', LOG_N, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
  }

  async verify(password: string, stored: string): Promise<boolean> {
    const parts = stored.split('$');
    if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
    const [logN, r, p] = parts.slice(1, 4).map(Number);
    const expected = Buffer.from(parts[5], 'base64url');
    const key = await this.run('verify', () =>
      scrypt(password, Buffer.from(parts[4], 'base64url'), expected.length, this.options(logN, r, p)),
    );
    return timingSafeEqual(key, expected);
  }

  /** Spends the same time as a real verification, so unknown emails cannot be told apart by timing. */
  async burn(password: string): Promise<void> {
    await this.run('verify', () => scrypt(password, Buffer.alloc(16), KEY_LEN, this.options(LOG_N, R, P)));
  }

  private async run<T>(lane: Lane, work: () => Promise<T>): Promise<T> {
    if (this.running >= PasswordHasher.CONCURRENCY) {
      if (this.waiting.verify.length + this.waiting.hash.length >= PasswordHasher.MAX_WAITING) {
        throw new AppError(
          'service_unavailable',
          'Too many sign-ins and sign-ups at once; try again in a moment',
          {},
          { 'retry-after': '1' },
        );
      }
      await new Promise<void>((resolve) => this.waiting[lane].push(resolve));
    } else {
      this.running++;
    }
    try {
      return await work();
    } finally {
      // Hand the slot straight to the next in line (sign-ins first), or give it back.
      const next = this.waiting.verify.shift() ?? this.waiting.hash.shift();
      if (next) next();
      else this.running--;
    }
  }

  private options(logN: number, r: number, p: number): ScryptOptions {
    const N = 2 ** logN;
    return { N, r, p, maxmem: 256 * N * r + 1024 * 1024 };
  }
}
