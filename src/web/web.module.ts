import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { FormCsrf } from './form-csrf';
import { WebAccountsService } from './web-accounts.service';
import { WebController } from './web.controller';

/** The server-rendered end-user site; for now sign-in and sign-up (the OAuth pages render its views). */
@Module({
  imports: [UsersModule],
  controllers: [WebController],
  providers: [WebAccountsService, FormCsrf],
})
export class WebModule {}
