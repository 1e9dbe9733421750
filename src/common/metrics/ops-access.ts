import { Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { AppError } from '../errors/app-error';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Who may read the operator endpoints: the holder of `METRICS_TOKEN` as a bearer token. Compared
 * as SHA-256 digests in constant time, so neither the length nor a prefix of the token leaks.
 */
@Injectable()
export class OpsAccess {
  private readonly expected: Buffer | null;

  constructor(config: AppConfig) {
    this.expected = config.ops.token ? digest(config.ops.token) : null;
  }

  get tokenConfigured(): boolean {
    return this.expected !== null;
  }

  /** Whether the Authorization header carries the configured token (never true when none is). */
  holdsToken(authorization: string | undefined): boolean {
    if (!this.expected || !authorization) return false;
    const m = /^Bearer ([\x21-\x7e]{1,512})$/.exec(authorization);
    return m !== null && timingSafeEqual(digest(m[1]), this.expected);
  }

  /** For /metrics: open without a configured token, else the token or a 401. */
  requireForMetrics(authorization: string | undefined): void {
    if (this.expected && !this.holdsToken(authorization)) {
      throw new AppError(
        'authentication',
        'Send the metrics token as `Authorization: Bearer <METRICS_TOKEN>`',
        {},
        { 'www-authenticate': 'Bearer' },
      );
    }
  }
}
