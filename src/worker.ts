import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import {
  exitOnBootFailure,
  exitOnSignals,
  loadConfigOrExit,
  logUnhandled,
  prepareDatabaseOrExit,
  rootLogger,
} from './common/lifecycle/process';
import { WorkerModule } from './worker.module';

/** Runs only the queue processors (scale them apart from the HTTP processes). */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = rootLogger(config);
  logUnhandled(logger);
  if (!(await prepareDatabaseOrExit(config, logger))) return;
  let app: Awaited<ReturnType<typeof NestFactory.createApplicationContext>>;
  try {
    app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, logger), { logger, abortOnError: false });
  } catch (err) {
    exitOnBootFailure(err, logger);
    return;
  }
  exitOnSignals(() => app.close(), config.http.shutdownGraceMs, logger);
  logger.info({}, 'switchyard worker running');
}

void main();
