import 'reflect-metadata';
import { AppModule } from './app.module';
import { prepareDatabase } from './common/database/migrator';
import { createHttpApp, fromModule } from './common/http/http-app';
import { exitOnBootFailure, exitOnListenFailure, exitOnSignals, loadConfigOrExit, logUnhandled, rootLogger } from './common/lifecycle/process';
import { LISTEN_BACKLOG } from './common/http/http-app';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = rootLogger(config);
  logUnhandled(logger);

  try {
    const { created, applied } = await prepareDatabase(config);
    if (created) logger.info({}, 'database created');
    if (applied.length) logger.info({ applied }, 'migrations applied');
  } catch (err) {
    logger.fatal(
      { err: (err as Error).message, database: config.redacted().database },
      'cannot prepare the database: is PostgreSQL running and DATABASE_URL right?',
    );
    logger.pino.flush(() => process.exit(1));
    return;
  }

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
  logger.info(
    { address, publicUrl: config.http.publicUrl, workers: config.workers.enabled },
    'switchyard listening',
  );
}

void main();
