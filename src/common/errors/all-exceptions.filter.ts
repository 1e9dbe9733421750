import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppLogger } from '../logging/app-logger';
import { pathOnly } from '../logging/redaction';
import { normaliseError } from './error-envelope';
import { errorBodyFor } from './error-shape';

/**
 * The single place where errors become HTTP responses: every error, ours or the framework's, leaves
 * as the OpenRouter envelope with its typed code (or the envelope of the API family the route speaks,
 * see error-shape.ts); internals are logged, never sent.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  constructor(private readonly logger: AppLogger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const e = normaliseError(exception);
    if (e.internal) {
      this.logger.error({ err: exception, method: request?.method, url: pathOnly(request?.url) }, 'request failed');
    } else {
      this.logger.debug({ status: e.status, code: e.code, message: e.message }, 'request rejected');
    }
    // A stream that already sent its headers ends through its own error path, not here.
    if (!reply || reply.sent || reply.raw.headersSent) return;
    reply.status(e.status).headers(e.headers).send(errorBodyFor(request?.routeOptions?.config, e));
  }
}
