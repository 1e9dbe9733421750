import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UsersModule } from '../users/users.module';
import { AccountGuard } from './account.guard';
import { AccountResetKeys } from './account-reset-keys';
import { ApiKeyGuard, InferenceKeyGuard } from './api-key.guard';
import { ApiKeyPreBodyAuthenticator, ApiKeyStrategy } from './api-key.strategy';
import { PreBodyAuthenticator } from '../common/http/pre-body-auth';
import { CapsController } from './caps.controller';
import { CapsRepository } from './caps.repository';
import { CapsService } from './caps.service';
import { ApiKeyEntity } from './entities/api-key.entity';
import { UserSpendEntity } from './entities/user-spend.entity';
import { FreeModelLimits } from './free-model-limits';
import { KeysController } from './keys.controller';
import { KeysRepository } from './keys.repository';
import { KeysService } from './keys.service';

@Module({
  imports: [TypeOrmModule.forFeature([ApiKeyEntity, UserSpendEntity]), PassportModule, UsersModule],
  controllers: [KeysController, CapsController],
  providers: [
    KeysRepository,
    KeysService,
    CapsRepository,
    CapsService,
    FreeModelLimits,
    ApiKeyStrategy,
    { provide: PreBodyAuthenticator, useClass: ApiKeyPreBodyAuthenticator },
    ApiKeyGuard,
    InferenceKeyGuard,
    AccountGuard,
    AccountResetKeys,
  ],
  exports: [KeysService, CapsService, FreeModelLimits, ApiKeyGuard, InferenceKeyGuard, AccountGuard],
})
export class KeysModule {}
