import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { AppConfig } from '../common/config/app-config';
import { AccountGuard } from './account.guard';
import { ApiKeyGuard } from './api-key.guard';
import { CreateKeyDto } from './dto/create-key.dto';
import { CurrentKeyDto, KeyDto } from './dto/key.dto';
import { ListKeysQuery } from './dto/list-keys.query';
import { UpdateKeyDto } from './dto/update-key.dto';
import { KeysService } from './keys.service';
import { CurrentPrincipal, KeyPrincipal, Principal } from './principal';

/** OpenRouter's keys API, for a management key or a signed-in user; and `GET /key` for any key. */
@Controller('api/v1')
export class KeysController {
  constructor(
    private readonly keys: KeysService,
    private readonly config: AppConfig,
  ) {}

  @Get(['key', 'auth/key'])
  @UseGuards(ApiKeyGuard)
  async current(@CurrentPrincipal() principal: KeyPrincipal): Promise<{ data: CurrentKeyDto }> {
    return { data: await this.keys.current(principal, this.config.rateLimits.keyRpm) };
  }

  @Get('keys')
  @UseGuards(AccountGuard)
  async list(@CurrentPrincipal() actor: Principal, @Query() q: ListKeysQuery): Promise<{ data: KeyDto[] }> {
    return { data: await this.keys.list(actor, q.offset ?? 0, q.include_disabled ?? false) };
  }

  @Post('keys')
  @UseGuards(AccountGuard)
  create(@CurrentPrincipal() actor: Principal, @Body() dto: CreateKeyDto): Promise<{ data: KeyDto; key: string }> {
    return this.keys.create(actor, dto);
  }

  @Get('keys/:hash')
  @UseGuards(AccountGuard)
  async get(@CurrentPrincipal() actor: Principal, @Param('hash') hash: string): Promise<{ data: KeyDto }> {
    return { data: await this.keys.get(actor, hash) };
  }

  @Patch('keys/:hash')
  @UseGuards(AccountGuard)
  async update(@CurrentPrincipal() actor: Principal, @Param('hash') hash: string, @Body() dto: UpdateKeyDto): Promise<{ data: KeyDto }> {
    return { data: await this.keys.update(actor, hash, dto) };
  }

  @Delete('keys/:hash')
  @UseGuards(AccountGuard)
  @HttpCode(200)
  async remove(@CurrentPrincipal() actor: Principal, @Param('hash') hash: string): Promise<{ deleted: true }> {
    await this.keys.remove(actor, hash);
    return { deleted: true };
  }
}
