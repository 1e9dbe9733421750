import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { join } from 'node:path';
import { ConsolePages } from '../common/html/console-pages';
import { HtmlModule } from '../common/html/html.module';
import { viewsIn } from '../common/html/views';
import { CreditsModule } from '../credits/credits.module';
import { KeysModule } from '../keys/keys.module';
import { UsersModule } from '../users/users.module';
import { AppsController } from './apps.controller';
import { AppsPageController } from './apps-page.controller';
import { AppsService } from './apps.service';
import { AuthorizationRequestCheck } from './authorization-request-check';
import { AuthorizationService } from './authorization.service';
import { ConsentRequests } from './consent-requests';
import { ConsentViews } from './consent-views';
import { AuthorizeController } from './authorize.controller';
import { OAuthAuthorizationCodeEntity } from './entities/authorization-code.entity';
import { OAuthAuthorizationRequestEntity } from './entities/authorization-request.entity';
import { OAuthAppEntity } from './entities/oauth-app.entity';
import { MetadataController } from './metadata.controller';
import { OAuthRepository } from './oauth.repository';
import { AppConfig } from '../common/config/app-config';
import { usdToNanos } from '../common/money/money';
import { OAuthSettings } from './oauth-settings';
import { TokenController } from './token.controller';
import { TokenService } from './token.service';

/**
 * "Sign in with Switchyard": an OAuth 2.1 authorization server (authorization code + PKCE S256)
 * and OpenRouter's `/auth` flow on the same engine. What an app receives is an API key of the user,
 * labelled with the app and capped as the user chose. Its pages: the consent page, and the
 * console's Apps page (the apps a user authorized).
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([OAuthAppEntity, OAuthAuthorizationRequestEntity, OAuthAuthorizationCodeEntity]),
    KeysModule,
    UsersModule,
    CreditsModule,
    HtmlModule,
  ],
  controllers: [AuthorizeController, TokenController, MetadataController, AppsController, AppsPageController],
  providers: [
    OAuthRepository,
    AppsService,
    AuthorizationRequestCheck,
    ConsentRequests,
    ConsentViews,
    AuthorizationService,
    TokenService,
    ConsolePages,
    viewsIn(join(__dirname, 'views')),
    {
      provide: OAuthSettings,
      inject: [AppConfig],
      useFactory: (c: AppConfig) =>
        new OAuthSettings({
          codeTtlSeconds: c.oauth.codeTtlSeconds,
          consentDelayMs: c.oauth.consentDelayMs,
          defaultLimitNanos: c.oauth.defaultLimitUsd > 0 ? usdToNanos(c.oauth.defaultLimitUsd) : null,
        }),
    },
  ],
  exports: [OAuthRepository, AppsService],
})
export class OAuthModule {}
