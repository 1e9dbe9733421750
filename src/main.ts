import 'reflect-metadata';
import { AppModule } from './app.module';
import { createHttpApp, fromModule } from './common/http/http-app';
import {
  exitOnBootFailure,
  exitOnListenFailure,
  exitOnSignals,
  loadConfigOrExit,
  logUnhandled,
  prepareDatabaseOrExit,
  rootLogger,
} from './common/lifecycle/process';
import { LISTEN_BACKLOG } from './common/http/http-app';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = rootLogger(config);
  logUnhandled(logger);

  if (!(await prepareDatabaseOrExit(config, logger))) return;

  let http: Awaited<ReturnType<typeof createHttpApp>>;
  try {
    http = await createHttpApp(fromModule(AppModule.forRoot(config, logger)), config, logger);
  } catch (err) {
    exitOnBootFailure(err, logger);
    return;
  }
  const { app, close } = http;
  exitOnSignals(() => close(), config.http.shutdownGraceMs, logger);
  try {
    await app.listen({ port: config.http.port, host: config.http.host, backlog: LISTEN_BACKLOG });
  } catch (err) {
    exitOnListenFailure(err, config.http, logger);
    return;
  }
  const address = app.getHttpServer().address();
  logger.info({ address, publicUrl: config.http.publicUrl, workers: config.workers.enabled }, 'switchyard listening');
}

void main();
