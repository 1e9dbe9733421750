import { Body, Controller, Get, Post, Query, UseGuards } from '@nestjs/common';
import { AccountGuard } from '../../keys/account.guard';
import { CurrentPrincipal, Principal } from '../../keys/principal';
import { HistoryQuery } from '../dto/history.query';
import { CreateCheckoutDto } from './dto/create-checkout.dto';
import { CheckoutDto, TopupDto } from './dto/topup.dto';
import { TopupsService } from './topups.service';

/** Card top-ups of the signed-in user (or a management key's user). */
@Controller('api/v1/credits')
@UseGuards(AccountGuard)
export class TopupsController {
  constructor(private readonly topups: TopupsService) {}

  @Post('checkout')
  async checkout(@CurrentPrincipal() actor: Principal, @Body() dto: CreateCheckoutDto): Promise<{ data: CheckoutDto }> {
    return { data: await this.topups.checkout(actor.userId, dto.amount) };
  }

  /** Newest first, 100 a page unless `limit` (1–200) says otherwise; `before` = the previous page's `next`. */
  @Get('topups')
  list(@CurrentPrincipal() actor: Principal, @Query() q: HistoryQuery): Promise<{ data: TopupDto[]; next: string | null }> {
    return this.topups.list(actor.userId, q.limit ?? 100, q.before);
  }
}
