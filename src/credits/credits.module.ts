import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { KeysModule } from '../keys/keys.module';
import { UsersModule } from '../users/users.module';
import { CreditHoldEntity } from './entities/credit-hold.entity';
import { DisputeEntity } from './entities/dispute.entity';
import { LedgerAccountEntity } from './entities/ledger-account.entity';
import { LedgerEntryEntity } from './entities/ledger-entry.entity';
import { LedgerJournalEntity } from './entities/ledger-journal.entity';
import { StripeEventEntity } from './entities/stripe-event.entity';
import { TopupEntity } from './entities/topup.entity';
import { ConsoleAccounts } from '../common/html/console-pages';
import { ConsoleAccountsService } from './console-accounts.service';
import { CreditsController } from './credits.controller';
import { CreditsService } from './credits.service';
import { HoldStores, SettlementBatcher } from './hold-stores';
import { HoldsRepository } from './holds.repository';
import { HoldsService } from './holds.service';
import { LedgerRepository } from './ledger.repository';
import { LedgerService } from './ledger.service';

/**
 * Credits: the ledger, request holds, top-ups. Its Purchases implements keys' PurchaseHistory port,
 * bound at the composition root (AppModule), since keys cannot import credits (credits builds on keys).
 * It also gives the console pages their signed-in account and balance (common/html's ConsoleAccounts).
 */
@Module({
  imports: [
    KeysModule,
    UsersModule,
    TypeOrmModule.forFeature([
      LedgerAccountEntity,
      LedgerJournalEntity,
      LedgerEntryEntity,
      CreditHoldEntity,
      TopupEntity,
      StripeEventEntity,
      DisputeEntity,
    ]),
  ],
  controllers: [CreditsController],
  providers: [
    LedgerRepository,
    LedgerService,
    HoldsRepository,
    SettlementBatcher,
    HoldStores,
    HoldsService,
    CreditsService,
    { provide: ConsoleAccounts, useClass: ConsoleAccountsService },
  ],
  exports: [LedgerService, HoldsService, CreditsService, ConsoleAccounts],
})
export class CreditsModule {}
