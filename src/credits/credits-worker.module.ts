import { Module } from '@nestjs/common';
import { CreditsModule } from './credits.module';
import { HoldSweeper } from './hold-sweeper.processor';

/** The credits module's background work (the hold sweeper). */
@Module({
  imports: [CreditsModule],
  providers: [HoldSweeper],
})
export class CreditsWorkerModule {}
