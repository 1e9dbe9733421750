import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { OAuthTokenError } from './oauth.errors';

/** Token and revocation endpoints answer errors as RFC 6749 §5.2 JSON, never cached. */
@Catch(OAuthTokenError)
export class OAuthTokenErrorFilter implements ExceptionFilter {
  catch(e: OAuthTokenError, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    void reply
      .status(e.status)
      .headers({ ...e.headers, 'cache-control': 'no-store', pragma: 'no-cache', 'content-type': 'application/json; charset=utf-8' })
      .send(JSON.stringify({ error: e.error, error_description: e.description }));
  }
}
