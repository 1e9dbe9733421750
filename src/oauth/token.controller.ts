import { Body, Controller, HttpCode, Options, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AcceptsFormPosts } from '../common/http/http-app';
import { ExchangeCodeDto } from './dto/exchange-code.dto';
import { OAuthTokenErrorFilter } from './oauth-token-error.filter';
import { FormRequest, TokenResponse, TokenService } from './token.service';

const formRequest = (req: FastifyRequest): FormRequest => ({
  contentType: req.headers['content-type'],
  authorization: req.headers.authorization,
  body: req.body,
});

/**
 * Browser apps (public clients, PKCE only) call these cross-origin. No cookie is involved, so any
 * origin may: `*` never sends credentials.
 */
export const CORS_HEADERS = { 'access-control-allow-origin': '*' };
const PREFLIGHT_HEADERS = {
  ...CORS_HEADERS,
  'access-control-allow-methods': 'POST',
  'access-control-allow-headers': 'authorization, content-type',
  'access-control-max-age': '86400',
};

/** The back-channel endpoints: OAuth token and revocation (RFC 6749, RFC 7009), and OpenRouter's exchange. */
@Controller()
export class TokenController {
  constructor(private readonly tokens: TokenService) {}

  @Post('oauth/token')
  @HttpCode(200)
  @AcceptsFormPosts()
  @UseFilters(OAuthTokenErrorFilter)
  async token(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<TokenResponse> {
    reply.headers({ ...CORS_HEADERS, 'cache-control': 'no-store', pragma: 'no-cache' });
    return this.tokens.token(formRequest(req));
  }

  @Post('oauth/revoke')
  @HttpCode(200)
  @AcceptsFormPosts()
  @UseFilters(OAuthTokenErrorFilter)
  async revoke(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    reply.headers({ ...CORS_HEADERS, 'cache-control': 'no-store' });
    await this.tokens.revoke(formRequest(req));
  }

  @Post('api/v1/auth/keys')
  @HttpCode(200)
  async exchange(@Body() dto: ExchangeCodeDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<{ key: string; user_id: string }> {
    reply.headers({ ...CORS_HEADERS, 'cache-control': 'no-store' });
    return this.tokens.exchange(dto);
  }

  @Options(['oauth/token', 'oauth/revoke', 'api/v1/auth/keys'])
  @HttpCode(204)
  preflight(@Res({ passthrough: true }) reply: FastifyReply): void {
    reply.headers(PREFLIGHT_HEADERS);
  }
}
