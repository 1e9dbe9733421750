import { BullModule } from '@nestjs/bull';
import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { ALL_QUEUES } from './queue-names';
import { reconnectDelay } from '../redis/redis.service';
import { QueueHealth } from './queue-health';

/** Bull on the app's Redis, with every queue registered once for the whole app. */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        url: config.redis.url,
        prefix: `${config.redis.keyPrefix}:bull`,
        redis: { retryStrategy: reconnectDelay },
        defaultJobOptions: { removeOnComplete: 1000, removeOnFail: 5000, attempts: 5, backoff: { type: 'exponential', delay: 1000 } },
      }),
    }),
    BullModule.registerQueue(...ALL_QUEUES.map((name) => ({ name }))),
  ],
  providers: [QueueHealth],
  exports: [BullModule, QueueHealth],
})
export class QueueModule {}
