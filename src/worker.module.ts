import { DynamicModule, Module, Type } from '@nestjs/common';
import { AppConfig } from './common/config/app-config';
import { CoreModule } from './common/core.module';
import { AppLogger } from './common/logging/app-logger';
import { CreditsWorkerModule } from './credits/credits-worker.module';
import { TopupsWorkerModule } from './credits/topups/topups-worker.module';
import { OAuthWorkerModule } from './oauth/oauth-worker.module';
import { UsageWorkerModule } from './usage/usage-worker.module';

/** The modules that hold queue processors; each feature that owns background work adds its own. */
export function workerModules(): Type[] {
  return [UsageWorkerModule, CreditsWorkerModule, TopupsWorkerModule, OAuthWorkerModule];
}

/** The worker process: queue processors only, no HTTP. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig, logger: AppLogger): DynamicModule {
    return { module: WorkerModule, imports: [CoreModule.forRoot(config, logger), ...workerModules()] };
  }
}
