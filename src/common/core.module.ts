import { DynamicModule, Global, Module } from '@nestjs/common';
import { ClockModule } from './clock/clock.module';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { AppLogger } from './logging/app-logger';
import { LoggingModule } from './logging/logging.module';
import { MailModule } from './mail/mail.module';
import { QueueModule } from './queue/queue.module';
import { RedisModule } from './redis/redis.module';

/** What every process (HTTP, worker, CLI) needs: config, logging, Postgres, Redis, queues, clock, mail. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: AppConfig, logger: AppLogger): DynamicModule {
    return {
      module: CoreModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(logger),
        ClockModule,
        DatabaseModule,
        RedisModule,
        QueueModule,
        MailModule,
      ],
    };
  }
}
