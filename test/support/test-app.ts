import { Type } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test, TestingModuleBuilder } from '@nestjs/testing';
import { AppModule } from '../../src/app.module';
import { AppConfig, loadConfig } from '../../src/common/config/app-config';
import { createHttpApp, LISTEN_BACKLOG } from '../../src/common/http/http-app';
import { AppLogger, createRootLogger } from '../../src/common/logging/app-logger';
import { testEnv } from './test-env';

export interface TestApp {
  app: NestFastifyApplication;
  /** Base URL of the listening server, e.g. http://127.0.0.1:43121 */
  url: string;
  config: AppConfig;
  /** Every log line written so far, when started with captureLogs. */
  logs: string[];
  get<T>(token: Type<T> | string | symbol): T;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  /** Extra modules (test probes) mounted next to the app. */
  imports?: Type[];
  /** Replace providers, e.g. the clock or an external client. */
  override?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
  captureLogs?: boolean;
  /** Listen on this port instead of a random one (when PUBLIC_URL must name it up front). */
  port?: number;
}

/** Boots the real application, in-process, listening on a random loopback port. */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const env = testEnv({ ...(options.captureLogs ? { LOG_LEVEL: 'debug' } : {}), ...options.env });
  const config = loadConfig(env);
  const logs: string[] = [];
  const logger = new AppLogger(
    createRootLogger(config.log.level, options.captureLogs ? { write: (line: string) => void logs.push(line) } : undefined),
  );
  let builder = Test.createTestingModule({ imports: [AppModule.forRoot(config, logger), ...(options.imports ?? [])] });
  if (options.override) builder = options.override(builder);
  const moduleRef = await builder.compile();
  const { app, close } = await createHttpApp(
    (adapter, appOptions) => Promise.resolve(moduleRef.createNestApplication<NestFastifyApplication>(adapter, appOptions)),
    config,
    logger,
  );
  await app.listen({ port: options.port ?? 0, host: '127.0.0.1', backlog: LISTEN_BACKLOG });
  const address = app.getHttpServer().address() as { port: number };
  return {
    app,
    url: `http://127.0.0.1:${address.port}`,
    config,
    logs,
    get: <T>(token: Type<T> | string | symbol) => app.get<T>(token as Type<T>, { strict: false }),
    close: () => close(),
  };
}
