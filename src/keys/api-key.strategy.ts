import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-custom';
import { KeysService } from './keys.service';
import { KeyPrincipal } from './principal';

/** Passport strategy `api-key`: `Authorization: Bearer sk-sy-v1-…`, looked up by SHA-256. */
@Injectable()
export class ApiKeyStrategy extends PassportStrategy(Strategy, 'api-key') {
  constructor(private readonly keys: KeysService) {
    super();
  }

  validate(req: FastifyRequest): Promise<KeyPrincipal> {
    return this.keys.authenticate(req.headers.authorization);
  }
}
