import { Injectable } from '@nestjs/common';
import { ConsoleAccounts } from '../common/html/console-pages';
import type { SessionPrincipal } from '../users/sessions.service';
import { SessionsService } from '../users/sessions.service';
import { UsersService } from '../users/users.service';
import { CreditsService } from './credits.service';

/**
 * The signed-in account as every console page shows it: the session, the account's email and its
 * balance. Here because credits is the lowest module that knows both sessions and balances, so
 * each module that serves console pages (web, oauth) binds the same one.
 */
@Injectable()
export class ConsoleAccountsService extends ConsoleAccounts<SessionPrincipal> {
  constructor(
    private readonly sessions: SessionsService,
    private readonly users: UsersService,
    private readonly credits: CreditsService,
  ) {
    super();
  }

  resolve(cookieHeader: string | undefined): Promise<SessionPrincipal | null> {
    return this.sessions.resolve(cookieHeader);
  }

  async frame(userId: string) {
    const [user, balance] = await Promise.all([this.users.get(userId), this.credits.summary(userId)]);
    return { user, balance };
  }
}
