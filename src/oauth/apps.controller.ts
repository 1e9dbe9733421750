import { Body, Controller, Delete, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { AccountGuard } from '../keys/account.guard';
import { CurrentPrincipal, Principal } from '../keys/principal';
import { AppsService } from './apps.service';
import { AppDto, CreatedAppDto } from './dto/app.dto';
import { AuthorizedAppDto } from './dto/authorized-app.dto';
import { CreateAppDto } from './dto/create-app.dto';

/** The app registry (apps a user builds) and the apps a user authorized, for a session or management key. */
@Controller('api/v1')
@UseGuards(AccountGuard)
export class AppsController {
  constructor(private readonly apps: AppsService) {}

  @Post('oauth/apps')
  register(@CurrentPrincipal() actor: Principal, @Body() dto: CreateAppDto): Promise<CreatedAppDto> {
    return this.apps.register(actor.userId, {
      name: dto.name,
      homepage: dto.homepage,
      redirectUris: dto.redirect_uris,
      confidential: dto.confidential,
    });
  }

  @Get('oauth/apps')
  async owned(@CurrentPrincipal() actor: Principal): Promise<{ data: AppDto[] }> {
    return { data: await this.apps.listOwned(actor.userId) };
  }

  @Get('apps/authorized')
  async authorized(@CurrentPrincipal() actor: Principal): Promise<{ data: AuthorizedAppDto[] }> {
    return { data: await this.apps.authorized(actor.userId) };
  }

  @Delete('apps/authorized/:appId')
  @HttpCode(200)
  async revoke(
    @CurrentPrincipal() actor: Principal,
    @Param('appId') appId: string,
  ): Promise<{ data: { app_id: string; revoked_keys: number } }> {
    return { data: await this.apps.revokeAuthorized(actor.userId, appId) };
  }
}
