import { DynamicModule, NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController } from 'fastify';
import { AppConfig } from '../config/app-config';
import { AppLogger } from '../logging/app-logger';
import { requestContext } from '../logging/request-context';
import { MetricsService } from '../metrics/metrics.service';
import { HttpDrain } from './http-drain';
import { requestIdFor } from './request-id';

/**
 * Builds the HTTP application on Fastify: request ids, one access-log line and metrics per request,
 * body limits. Shared by `main.ts` and the e2e tests so both run exactly the same stack.
 */
export type AppFactory = (
  adapter: FastifyAdapter,
  options: NestApplicationOptions,
) => Promise<NestFastifyApplication>;

/** Builds the app from a root module; tests pass a factory that compiles a testing module instead. */
export function fromModule(module: DynamicModule): AppFactory {
  // abortOnError off: a failed start rejects, so main.ts can report it in one line and exit.
  return (adapter, options) => NestFactory.create<NestFastifyApplication>(module, adapter, { ...options, abortOnError: false });
}

export interface HttpApp {
  app: NestFastifyApplication;
  /** Graceful stop: drain HTTP within the grace period, then close modules (pools, queues). */
  close(graceMs?: number): Promise<void>;
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
  const drain = new HttpDrain();
  drain.install(fastify);
  fastify.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    requestContext.run({ requestId: req.id }, done);
  });

  // Our logger from the first line on, so even a failed start logs JSON, never Nest's console format.
  const app = await factory(adapter, { logger });

  const metrics = app.get(MetricsService);
  const access = logger.child({ component: 'http' });
  fastify.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.observeRequest(req.method, route, reply.statusCode, reply.elapsedTime / 1000);
    access.info(
      { reqId: req.id, method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 },
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
