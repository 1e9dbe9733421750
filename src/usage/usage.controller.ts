import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiKeyGuard } from '../keys/api-key.guard';
import { CurrentPrincipal, KeyPrincipal } from '../keys/principal';
import { GenerationDto } from './dto/generation.dto';
import { GenerationQuery } from './dto/generation.query';
import { UsageService } from './usage.service';

@Controller('api/v1')
export class UsageController {
  constructor(private readonly usage: UsageService) {}

  /** A finished request of the calling key's user; another user's answers 404. */
  @Get('generation')
  @UseGuards(ApiKeyGuard)
  async generation(@CurrentPrincipal() principal: KeyPrincipal, @Query() q: GenerationQuery): Promise<{ data: GenerationDto }> {
    return { data: await this.usage.get(q.id, principal.userId) };
  }
}
