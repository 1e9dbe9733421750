import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { KeysModule } from '../keys/keys.module';
import { GenerationEntity } from './entities/generation.entity';
import { GenerationsRepository } from './generations.repository';
import { UsageController } from './usage.controller';
import { UsageService } from './usage.service';

@Module({
  imports: [TypeOrmModule.forFeature([GenerationEntity]), KeysModule],
  controllers: [UsageController],
  providers: [GenerationsRepository, UsageService],
  exports: [UsageService],
})
export class UsageModule {}
