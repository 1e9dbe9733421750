import 'reflect-metadata';
import { AppModule } from './app.module';
import { createHttpApp, fromModule } from './common/http/http-app';
import { bootOrExit, exitOnListenFailure } from './common/lifecycle/process';
import { LISTEN_BACKLOG } from './common/http/http-app';

async function main(): Promise<void> {
  const booted = await bootOrExit(
    (config, logger) => createHttpApp(fromModule(AppModule.forRoot(config, logger)), config, logger),
    (http) => http.close(),
  );
  if (!booted) return;
  const { config, logger } = booted;
  const { app } = booted.app;
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
