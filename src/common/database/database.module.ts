import { Global, Module, OnModuleInit } from '@nestjs/common';
import { InjectDataSource, TypeOrmModule } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { AppLogger } from '../logging/app-logger';
import { dataSourceOptions } from './data-source-options';
import { dropBrokenConnections } from './connection-faults';
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
export class DatabaseModule implements OnModuleInit {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  onModuleInit(): void {
    // TypeORM's Postgres driver keeps its pg Pool as `master` (there are no replicas here).
    const pool = (this.dataSource.driver as unknown as { master?: Pool }).master;
    if (pool) dropBrokenConnections(pool);
  }
}
