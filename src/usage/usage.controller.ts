import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiKeyGuard } from '../keys/api-key.guard';
import { CurrentPrincipal, KeyPrincipal } from '../keys/principal';
import { GenerationDto } from './dto/generation.dto';
import { GenerationQuery } from './dto/generation.query';
import { UsageService } from './usage.service';

@Controller('api/v1')
export class UsageController {
  constructor(private readonly usage: UsageService) {}

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
