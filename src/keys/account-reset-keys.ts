import { Injectable, OnModuleInit } from '@nestjs/common';
import { AccountEvents } from '../users/account-events';
import { KeysService } from './keys.service';

/**
 * A password reset of an account whose address nobody had confirmed revokes all of its keys: they
 * were made by whoever knew the password before the owner proved the address.
 */
@Injectable()
export class AccountResetKeys implements OnModuleInit {
  constructor(
    private readonly events: AccountEvents,
    private readonly keys: KeysService,
  ) {}

  onModuleInit(): void {
    this.events.onPasswordReset(async (e) => {
      if (!e.wasVerified) await this.keys.revoke({ userId: e.userId });
    });
  }
}
