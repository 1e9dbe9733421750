import { Body, Controller, Get, Post, UseGuards } from '@nestjs/common';
import { AccountGuard } from '../../keys/account.guard';
import { CurrentPrincipal, Principal } from '../../keys/principal';
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

  @Get('topups')
  async list(@CurrentPrincipal() actor: Principal): Promise<{ data: TopupDto[] }> {
    return { data: await this.topups.list(actor.userId) };
  }
}
