import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { GenerationEntity } from './entities/generation.entity';
import { GenerationWriter } from './generation-writer.processor';
import { GenerationsRepository } from './generations.repository';

/** The usage module's queue processors (in the worker process, or the HTTP process when enabled). */
@Module({
  imports: [TypeOrmModule.forFeature([GenerationEntity])],
  providers: [GenerationsRepository, GenerationWriter],
})
export class UsageWorkerModule {}
