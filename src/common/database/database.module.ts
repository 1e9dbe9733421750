import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { AppLogger } from '../logging/app-logger';
import { dataSourceOptions } from './data-source-options';
import { PreparedSql } from './prepared-sql';

/** The app's TypeORM connection. Feature modules register their own entities with forFeature. */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig, AppLogger],
      useFactory: (config: AppConfig, logger: AppLogger) => ({
        ...dataSourceOptions(config),
        autoLoadEntities: true,
        retryAttempts: 2,
        retryDelay: 1000,
        // An idle connection dropped by the server must not crash the process; the pool replaces it.
        poolErrorHandler: (err: Error) => logger.warn({ err: err.message, component: 'postgres' }, 'pool error'),
      }),
    }),
  ],
  providers: [PreparedSql],
  exports: [PreparedSql],
})
export class DatabaseModule {}
