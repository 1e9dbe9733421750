import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccountEmailService } from './account-email.service';
import { AccountEvents } from './account-events';
import { AccountLimits } from './account-limits';
import { AccountLinksService } from './account-links.service';
import { EmailTokenEntity } from './entities/email-token.entity';
import { SessionEntity } from './entities/session.entity';
import { UserIdentityEntity } from './entities/user-identity.entity';
import { UserEntity } from './entities/user.entity';
import { OidcAttempts } from './oidc/oidc-attempts';
import { OidcSignInService } from './oidc/oidc-sign-in.service';
import { OidcClient } from './oidc/oidc.client';
import { OidcController } from './oidc/oidc.controller';
import { OneTimeLinks } from './one-time-links';
import { PasswordHasher } from './password-hasher';
import { SessionGuard } from './session.guard';
import { SessionsService } from './sessions.service';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

@Module({
  imports: [TypeOrmModule.forFeature([UserEntity, SessionEntity, UserIdentityEntity, EmailTokenEntity])],
  controllers: [UsersController, OidcController],
  providers: [
    UsersRepository,
    UsersService,
    SessionsService,
    SessionGuard,
    PasswordHasher,
    AccountLimits,
    OneTimeLinks,
    OidcClient,
    OidcAttempts,
    OidcSignInService,
    AccountEmailService,
    AccountLinksService,
    AccountEvents,
  ],
  exports: [UsersService, SessionsService, SessionGuard, AccountEmailService, AccountLinksService, AccountEvents],
})
export class UsersModule {}
