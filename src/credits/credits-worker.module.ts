import { Module } from '@nestjs/common';
import { UsageModule } from '../usage/usage.module';
import { CreditsModule } from './credits.module';
import { HoldSweeper } from './hold-sweeper.processor';

/** The credits module's background work (the hold sweeper, which records the requests it settles). */
@Module({
  imports: [CreditsModule, UsageModule],
  providers: [HoldSweeper],
})
export class CreditsWorkerModule {}
