import { Controller, Get, Query, Redirect, Req, Res } from '@nestjs/common';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RETURN_TO_MAX_LENGTH } from '../../common/html/return-to';
import { OidcRedirect, OidcSignInService } from './oidc-sign-in.service';

export class OidcStartQuery {
  // Longer than a return path may be: too long falls back to `/` rather than failing.
  @IsOptional()
  @IsString()
  @MaxLength(2 * RETURN_TO_MAX_LENGTH)
  return_to?: string;
}

export class OidcCallbackQuery {
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  code?: string;

  @IsOptional()
  @IsString()
  @MaxLength(512)
  state?: string;

  @IsOptional()
  @IsString()
  @MaxLength(128)
  error?: string;

  @IsOptional()
  @IsString()
  @MaxLength(2048)
  error_description?: string;

  @IsOptional()
  @IsString()
  @MaxLength(2048)
  iss?: string;

  @IsOptional()
  @IsString()
  @MaxLength(512)
  session_state?: string;
}

/** Browser redirects for "sign in with <provider>"; failures answer the JSON error, never a redirect. */
@Controller('auth/oidc')
export class OidcController {
  constructor(private readonly signIn: OidcSignInService) {}

  @Get('start')
  @Redirect()
  async start(
    @Query() query: OidcStartQuery,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ url: string; statusCode: number }> {
    return send(reply, await this.signIn.start(query.return_to, req.ip), 302);
  }

  @Get('callback')
  @Redirect()
  async callback(
    @Query() query: OidcCallbackQuery,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ url: string; statusCode: number }> {
    const result = await this.signIn.callback(query, req.headers.cookie, req.headers['user-agent']);
    return send(reply, result, 303);
  }
}

function send(reply: FastifyReply, result: OidcRedirect, statusCode: number): { url: string; statusCode: number } {
  reply.header('set-cookie', result.setCookies);
  reply.header('cache-control', 'no-store');
  return { url: result.location, statusCode };
}
