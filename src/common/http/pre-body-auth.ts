import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';

/** Route config flag set by `LargeBodyAfterAuth`. */
export const LARGE_BODY_AFTER_AUTH = 'largeBodyAfterAuth';

/**
 * Marks a route that may receive bodies up to BODY_LIMIT_BYTES (inference: long prompts, images).
 * Its caller is authenticated from the headers before a byte of the body is read, so an
 * anonymous client cannot make the server buffer and parse megabytes. Every other route has the
 * small limit (BODY_LIMIT_SMALL_BYTES). A route has one Fastify config, so its other route flags
 * (API_KEY_HEADER, ERROR_SHAPE) come in `config`.
 */
export const LargeBodyAfterAuth = (config: Record<string, unknown> = {}): MethodDecorator =>
  RouteConfig({ ...config, [LARGE_BODY_AFTER_AUTH]: true });

/**
 * Route config key: the route also takes the API key from this header when there is no
 * `Authorization` (Anthropic's clients send `x-api-key`).
 */
export const API_KEY_HEADER = 'apiKeyHeader';

/** The request's API key credential as `Bearer <key>`: Authorization, else the route's own key header. */
export function keyCredential(req: FastifyRequest): string | undefined {
  if (req.headers.authorization) return req.headers.authorization;
  const header = (req.routeOptions?.config as unknown as Record<string, unknown> | undefined)?.[API_KEY_HEADER];
  const value = typeof header === 'string' ? req.headers[header] : undefined;
  return typeof value === 'string' && value.length > 0 ? `Bearer ${value}` : undefined;
}

/**
 * Authenticates a request from its headers alone, before its body is read; throws the error to
 * answer with. Provided by the module that owns credentials (keys); the HTTP layer only calls it.
 */
export abstract class PreBodyAuthenticator {
  abstract authenticate(req: FastifyRequest): Promise<void>;
}
