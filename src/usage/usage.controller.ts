import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { Clock } from '../common/clock/clock';
import { AccountGuard } from '../keys/account.guard';
import { ApiKeyGuard } from '../keys/api-key.guard';
import { CurrentPrincipal, KeyPrincipal, Principal } from '../keys/principal';
import { ActivityItemDto } from './dto/activity.dto';
import { ActivityQuery } from './dto/activity.query';
import { GenerationDto } from './dto/generation.dto';
import { GenerationQuery } from './dto/generation.query';
import { UsageService } from './usage.service';

@Controller('api/v1')
export class UsageController {
  constructor(
    private readonly usage: UsageService,
    private readonly clock: Clock,
  ) {}

  /** OpenRouter's activity rows for a management key's or a signed-in user's account. */
  @Get('activity')
  @UseGuards(AccountGuard)
  async activity(@CurrentPrincipal() actor: Principal, @Query() q: ActivityQuery): Promise<{ data: ActivityItemDto[] }> {
    return { data: await this.usage.activity(actor.userId, { date: q.date, keyHash: q.api_key_hash }, this.clock.now()) };
  }

  /** A finished request of the calling key's user; another user's answers 404. */
  @Get('generation')
  @UseGuards(ApiKeyGuard)
  async generation(@CurrentPrincipal() principal: KeyPrincipal, @Query() q: GenerationQuery): Promise<{ data: GenerationDto }> {
    return { data: await this.usage.get(q.id, principal.userId) };
  }
}
