import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { KeysModule } from '../keys/keys.module';
import { UsersModule } from '../users/users.module';
import { GenerationEntity } from './entities/generation.entity';
import { GenerationsRepository } from './generations.repository';
import { UsageController } from './usage.controller';
import { UsageService } from './usage.service';

@Module({
  // UsersModule for AccountGuard (signed-in users on GET /activity).
  imports: [TypeOrmModule.forFeature([GenerationEntity]), KeysModule, UsersModule],
  controllers: [UsageController],
  providers: [GenerationsRepository, UsageService],
  exports: [UsageService],
})
export class UsageModule {}
