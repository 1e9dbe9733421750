import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { AppConfig } from './common/config/app-config';
import { CoreModule } from './common/core.module';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter';
import { HealthModule } from './common/health/health.module';
import { createValidationPipe } from './common/http/validation.pipe';
import { AppLogger } from './common/logging/app-logger';
import { MetricsModule } from './common/metrics/metrics.module';
import { PortsModule } from './common/ports/ports.module';
import { CatalogModule } from './catalog/catalog.module';
import { CreditsModule } from './credits/credits.module';
import { Purchases } from './credits/purchases.service';
import { TopupsModule } from './credits/topups/topups.module';
import { GatewayModule } from './gateway/gateway.module';
import { KeysModule } from './keys/keys.module';
import { PurchaseHistory } from './keys/purchase-history';
import { AppsService } from './oauth/apps.service';
import { OAuthModule } from './oauth/oauth.module';
import { AppPublicIds } from './usage/app-public-ids';
import { UsageModule } from './usage/usage.module';
import { UsersModule } from './users/users.module';
import { AuthorizedApps } from './web/authorized-apps';
import { WebModule } from './web/web.module';
import { workerModules } from './worker.module';

/** The HTTP process: every feature's controllers, plus the queue processors unless disabled. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, logger: AppLogger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(config, logger),
        // Ports a module declares and one it may not import implements: keys asks what a user bought
        // (credits), the console's pages ask which apps a user authorized and usage asks for an app's
        // integer id (oauth's app registry).
        PortsModule.forRoot(
          [
            { provide: PurchaseHistory, useClass: Purchases },
            { provide: AuthorizedApps, inject: [AppsService], useFactory: (apps: AppsService): AuthorizedApps => apps },
            { provide: AppPublicIds, inject: [AppsService], useFactory: (apps: AppsService): AppPublicIds => apps },
          ],
          [OAuthModule],
        ),
        MetricsModule,
        HealthModule,
        UsersModule,
        KeysModule,
        CatalogModule,
        CreditsModule,
        TopupsModule,
        UsageModule,
        GatewayModule,
        OAuthModule,
        WebModule,
        ...(config.workers.enabled ? workerModules() : []),
      ],
      providers: [
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe, inject: [AppLogger] },
      ],
    };
  }
}
