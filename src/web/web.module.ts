import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { CreditsModule } from '../credits/credits.module';
import { TopupsModule } from '../credits/topups/topups.module';
import { KeysModule } from '../keys/keys.module';
import { OAuthModule } from '../oauth/oauth.module';
import { UsageModule } from '../usage/usage.module';
import { UsersModule } from '../users/users.module';
import { AssetsController } from './assets.controller';
import { ConsoleKeysController } from './console-keys.controller';
import { ConsolePages } from './console-pages';
import { ConsoleSettingsController } from './console-settings.controller';
import { ConsoleController } from './console.controller';
import { ConsoleService } from './console.service';
import { FormCsrf } from './form-csrf';
import { Views } from './views';
import { WebAccountsService } from './web-accounts.service';
import { WebController } from './web.controller';

/**
 * The server-rendered end-user site: sign-in and sign-up, and the console (credits, keys, limits,
 * activity, logs, apps, models, settings) over the same services as the JSON API.
 */
@Module({
  imports: [UsersModule, KeysModule, CreditsModule, TopupsModule, UsageModule, OAuthModule, CatalogModule],
  controllers: [WebController, ConsoleController, ConsoleKeysController, ConsoleSettingsController, AssetsController],
  providers: [WebAccountsService, FormCsrf, Views, ConsolePages, ConsoleService],
})
export class WebModule {}
