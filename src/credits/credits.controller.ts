import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { AccountGuard } from '../keys/account.guard';
import { CurrentPrincipal, Principal } from '../keys/principal';
import { CreditsService } from './credits.service';
import { CreditsSummaryDto, LedgerLineDto } from './dto/credits.dto';
import { HistoryQuery } from './dto/history.query';

@Controller('api/v1/credits')
@UseGuards(AccountGuard)
export class CreditsController {
  constructor(private readonly credits: CreditsService) {}

  @Get()
  async summary(@CurrentPrincipal() actor: Principal): Promise<{ data: CreditsSummaryDto }> {
    return { data: await this.credits.summary(actor.userId) };
  }

  @Get('ledger')
  history(@CurrentPrincipal() actor: Principal, @Query() q: HistoryQuery): Promise<{ data: LedgerLineDto[]; next: string | null }> {
    return this.credits.history(actor.userId, q.limit ?? 50, q.before);
  }
}
