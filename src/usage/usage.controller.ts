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

  /**
   * A finished request made with the calling key; a management key reads every request of its
   * user. Anything else answers 404, as a missing id does, so an app's key learns nothing about
   * the user's other keys.
   */
  @Get('generation')
  @UseGuards(ApiKeyGuard)
  async generation(@CurrentPrincipal() principal: KeyPrincipal, @Query() q: GenerationQuery): Promise<{ data: GenerationDto }> {
    return { data: await this.usage.get(q.id, { userId: principal.userId, keyId: principal.isManagement ? null : principal.keyId }) };
  }
}
