import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { bootOrExit } from './common/lifecycle/process';
import { WorkerModule } from './worker.module';

/** Runs only the queue processors (scale them apart from the HTTP processes). */
async function main(): Promise<void> {
  const booted = await bootOrExit(
    (config, logger) => NestFactory.createApplicationContext(WorkerModule.forRoot(config, logger), { logger, abortOnError: false }),
    (app) => app.close(),
  );
  booted?.logger.info({}, 'switchyard worker running');
}

void main();
