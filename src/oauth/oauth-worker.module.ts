import { Module } from '@nestjs/common';
import { OAuthModule } from './oauth.module';
import { OAuthPruner } from './oauth-pruner.processor';

/** The OAuth module's background work (pruning expired consent requests and codes). */
@Module({
  imports: [OAuthModule],
  providers: [OAuthPruner],
})
export class OAuthWorkerModule {}
