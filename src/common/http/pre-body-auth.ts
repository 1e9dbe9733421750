import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';

/** Route config flag set by `LargeBodyAfterAuth`. */
export const LARGE_BODY_AFTER_AUTH = 'largeBodyAfterAuth';

/**
 * Marks a route that may receive bodies up to BODY_LIMIT_BYTES (inference: long prompts, images).
 * Its caller is authenticated from the headers before a byte of the body is read, so an
 * anonymous client cannot make the server buffer and parse megabytes. Every other route has the
 * small limit (BODY_LIMIT_SMALL_BYTES).
 */
export const LargeBodyAfterAuth = (): MethodDecorator => RouteConfig({ [LARGE_BODY_AFTER_AUTH]: true });

/**
 * Authenticates a request from its headers alone, before its body is read; throws the error to
 * answer with. Provided by the module that owns credentials (keys); the HTTP layer only calls it.
 */
export abstract class PreBodyAuthenticator {
  abstract authenticate(req: FastifyRequest): Promise<void>;
}
