import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-custom';
import { keyCredential, PreBodyAuthenticator } from '../common/http/pre-body-auth';
import { KeysService } from './keys.service';
import { KeyPrincipal } from './principal';

/** Principals of requests authenticated before their body was read (large-body routes), by request. */
const early = new WeakMap<object, KeyPrincipal>();
const rawOf = (req: FastifyRequest) => (req as { raw?: object }).raw ?? req;

/**
 * Passport strategy `api-key`: `Authorization: Bearer sk-sy-v1-…` (or the route's own key header,
 * see keyCredential), looked up by SHA-256.
 */
@Injectable()
export class ApiKeyStrategy extends PassportStrategy(Strategy, 'api-key') {
  constructor(private readonly keys: KeysService) {
    super();
  }

  validate(req: FastifyRequest): Promise<KeyPrincipal> {
    const principal = early.get(rawOf(req));
    return principal ? Promise.resolve(principal) : this.keys.authenticate(keyCredential(req));
  }
}

/**
 * Authenticates the API key of a large-body route from its headers, before the body is read; the
 * guard then reuses the principal (and still applies the key kind and rate limit checks).
 */
@Injectable()
export class ApiKeyPreBodyAuthenticator extends PreBodyAuthenticator {
  constructor(private readonly keys: KeysService) {
    super();
  }

  async authenticate(req: FastifyRequest): Promise<void> {
    early.set(rawOf(req), await this.keys.authenticate(keyCredential(req)));
  }
}
