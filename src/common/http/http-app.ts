import { DynamicModule, NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication, RouteConfig } from '@nestjs/platform-fastify';
import { LogController } from 'fastify';
import { AppConfig } from '../config/app-config';
import { pathOnly } from '../logging/redaction';
import { AppLogger } from '../logging/app-logger';
import { requestContext } from '../logging/request-context';
import { MetricsService } from '../metrics/metrics.service';
import { normaliseError } from '../errors/error-envelope';
import { errorBodyFor } from '../errors/error-shape';
import { HttpDrain } from './http-drain';
import { LARGE_BODY_AFTER_AUTH, PreBodyAuthenticator } from './pre-body-auth';
import { requestIdFor } from './request-id';

/**
 * Builds the HTTP application on Fastify: request ids, one access-log line and metrics per request,
 * body limits. Shared by `main.ts` and the e2e tests so both run exactly the same stack.
 */
export type AppFactory = (adapter: FastifyAdapter, options: NestApplicationOptions) => Promise<NestFastifyApplication>;

/** Builds the app from a root module; tests pass a factory that compiles a testing module instead. */
export function fromModule(module: DynamicModule): AppFactory {
  // abortOnError off: a failed start rejects, so main.ts can report it in one line and exit.
  return (adapter, options) => NestFactory.create<NestFastifyApplication>(module, adapter, { ...options, abortOnError: false });
}

/**
 * Pending connections the kernel queues for the server (Node's default is 511): a burst of a few
 * thousand fresh connections must wait for accept(), not be refused or reset.
 */
export const LISTEN_BACKLOG = 4096;

/** Route config flag set by `AcceptsFormPosts`. */
const FORM_POSTS = 'acceptsFormPosts';
const FORM_TYPE = /^\s*application\/x-www-form-urlencoded\s*(;|$)/i;

/**
 * Marks a route that takes HTML form posts (`application/x-www-form-urlencoded`): the web pages and
 * the OAuth endpoints. Every other route refuses them, so a cross-site form (which needs no CORS
 * preflight) can never drive a JSON API with the user's cookie.
 */
export const AcceptsFormPosts = (): MethodDecorator => RouteConfig({ [FORM_POSTS]: true });

export interface HttpApp {
  app: NestFastifyApplication;
  /** Graceful stop: drain HTTP within the grace period, then close modules (pools, queues). */
  close(graceMs?: number): Promise<void>;
}

/** Routes that need the exact bytes received (signatures over the body): Stripe's webhook. */
const RAW_BODY_ROUTES = ['/api/v1/webhooks/stripe'];

/**
 * JSON bodies parsed as Fastify does by default (same errors, prototype-poisoning protection), but
 * with the raw Buffer kept as `req.rawBody` on the given routes only. Registered through the
 * adapter so Nest does not add its own JSON parser over it.
 */
function keepRawBodyFor(adapter: FastifyAdapter, prefixes: string[], bodyLimit: number): void {
  const fastify = adapter.getInstance();
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  adapter.useBodyParser('application/json', false, { bodyLimit }, (req, body, done) => {
    const path = req.url.split('?')[0];
    if (prefixes.some((p) => path === p || path.startsWith(`${p}/`))) (req as { rawBody?: Buffer }).rawBody = body;
    // secure-json-parse takes a Buffer as well (Nest's own JSON parser passes one too).
    parseJson(req, body as unknown as string, done);
  });
}

function optional<T>(app: NestFastifyApplication, token: abstract new (...args: never[]) => T): T | null {
  try {
    return app.get(token as never, { strict: false }) as T;
  } catch {
    return null;
  }
}

export async function createHttpApp(factory: AppFactory, config: AppConfig, logger: AppLogger): Promise<HttpApp> {
  const adapter = new FastifyAdapter({
    loggerInstance: logger.pino,
    // One access line per request is written in onResponse below, not Fastify's two.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    bodyLimit: config.http.bodyLimitBytes,
    trustProxy: config.http.trustProxy,
    genReqId: requestIdFor,
    requestIdHeader: false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  const fastify = adapter.getInstance();
  keepRawBodyFor(adapter, RAW_BODY_ROUTES, config.http.bodyLimitBytes);
  // Only routes that authenticate before reading the body take large bodies; sign-up, sign-in,
  // forms, OAuth and the account APIs are small.
  fastify.addHook('onRoute', (route) => {
    const large = (route.config as Record<string, unknown> | undefined)?.[LARGE_BODY_AFTER_AUTH] === true;
    route.bodyLimit = large ? config.http.bodyLimitBytes : Math.min(config.http.smallBodyLimitBytes, config.http.bodyLimitBytes);
  });
  const drain = new HttpDrain();
  drain.install(fastify);
  fastify.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    requestContext.run({ requestId: req.id }, done);
  });
  // Nest's adapter parses form bodies for every route; only routes marked AcceptsFormPosts get them.
  fastify.addHook('preParsing', (req, _reply, payload, done) => {
    const type = req.headers['content-type'];
    const config = req.routeOptions.config as unknown as Record<string, unknown> | undefined;
    if (req.routeOptions.url !== undefined && typeof type === 'string' && FORM_TYPE.test(type) && config?.[FORM_POSTS] !== true) {
      done(Object.assign(new Error('form posts are not accepted here'), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }));
      return;
    }
    done(null, payload);
  });

  // Our logger from the first line on, so even a failed start logs JSON, never Nest's console format.
  const app = await factory(adapter, { logger });

  const preBodyAuth = optional(app, PreBodyAuthenticator);
  if (preBodyAuth) {
    fastify.addHook('onRequest', async (req, reply) => {
      if ((req.routeOptions.config as unknown as Record<string, unknown> | undefined)?.[LARGE_BODY_AFTER_AUTH] !== true) return;
      try {
        await preBodyAuth.authenticate(req);
      } catch (err) {
        const e = normaliseError(err);
        // The body is never read: the connection closes after the answer instead of draining it.
        await reply
          .status(e.status)
          .headers({ ...e.headers, connection: 'close' })
          .send(errorBodyFor(req.routeOptions.config, e));
      }
    });
  }

  const metrics = app.get(MetricsService);
  const access = logger.child({ component: 'http' });
  fastify.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.observeRequest(req.method, route, reply.statusCode, reply.elapsedTime / 1000);
    access.info(
      { reqId: req.id, method: req.method, url: pathOnly(req.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 },
      'request completed',
    );
    done();
  });

  await app.init();
  return {
    app,
    close: async (graceMs = config.http.shutdownGraceMs) => {
      await drain.drain(app.getHttpServer(), graceMs);
      await app.close();
    },
  };
}
