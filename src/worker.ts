import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { prepareDatabase } from './common/database/migrator';
import { exitOnSignals, loadConfigOrExit, logUnhandled, rootLogger } from './common/lifecycle/process';
import { WorkerModule } from './worker.module';

/** Runs only the queue processors (scale them apart from the HTTP processes). */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = rootLogger(config);
  logUnhandled(logger);
  await prepareDatabase(config);
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, logger), { bufferLogs: true });
  app.useLogger(logger);
  app.flushLogs();
  await app.init();
  exitOnSignals(() => app.close(), config.http.shutdownGraceMs, logger);
  logger.info({}, 'switchyard worker running');
}

void main();
