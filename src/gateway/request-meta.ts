import type { FastifyRequest } from 'fastify';
import type { RequestMeta } from './exchange';

const header = (req: FastifyRequest, name: string): string | null => {
  const v = req.headers[name];
  return typeof v === 'string' && v.length > 0 ? v : null;
};

/** What the gateway takes from an inference request's headers. */
export function requestMeta(req: FastifyRequest): RequestMeta {
  return {
    requestId: req.id,
    referer: header(req, 'http-referer') ?? header(req, 'referer'),
    title: header(req, 'x-openrouter-title') ?? header(req, 'x-title'),
    userAgent: header(req, 'user-agent'),
    sessionHeader: header(req, 'x-session-id'),
  };
}
