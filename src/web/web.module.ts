import { Module } from '@nestjs/common';
import { join } from 'node:path';
import { CatalogModule } from '../catalog/catalog.module';
import { ConsolePages } from '../common/html/console-pages';
import { HtmlModule } from '../common/html/html.module';
import { viewsIn } from '../common/html/views';
import { CreditsModule } from '../credits/credits.module';
import { TopupsModule } from '../credits/topups/topups.module';
import { KeysModule } from '../keys/keys.module';
import { UsageModule } from '../usage/usage.module';
import { UsersModule } from '../users/users.module';
import { ConsoleKeysController } from './console-keys.controller';
import { ConsoleSettingsController } from './console-settings.controller';
import { ConsoleController } from './console.controller';
import { ConsoleService } from './console.service';
import { CreditsPages } from './credits-pages';
import { UsagePages } from './usage-pages';
import { WebAccountsService } from './web-accounts.service';
import { WebController } from './web.controller';

/**
 * The server-rendered end-user site: sign-in and sign-up, and the console (credits, keys, limits,
 * activity, logs, models, settings) over the same services as the JSON API. The console's Apps
 * page is oauth's; the app names other pages show come through the AuthorizedApps port.
 */
@Module({
  imports: [UsersModule, KeysModule, CreditsModule, TopupsModule, UsageModule, CatalogModule, HtmlModule],
  controllers: [WebController, ConsoleController, ConsoleKeysController, ConsoleSettingsController],
  providers: [WebAccountsService, ConsolePages, ConsoleService, CreditsPages, UsagePages, viewsIn(join(__dirname, 'views'))],
})
export class WebModule {}
