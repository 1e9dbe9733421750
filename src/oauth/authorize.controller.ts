import { Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AcceptsFormPosts } from '../common/http/http-app';
import { sendPage, sendSeeOther } from '../web/page-reply';
import { consentPage, errorPage } from '../web/pages';
import { AuthorizationService, AuthorizeOutcome } from './authorization.service';

/**
 * The browser side of both flows: `/auth` (OpenRouter-style, no registration), `/oauth/authorize`
 * (OAuth 2.1, registered clients) and the consent form they share. Answers are HTML pages or 303s.
 */
@Controller()
export class AuthorizeController {
  constructor(private readonly authorization: AuthorizationService) {}

  @Get('auth')
  async openRouter(@Query() query: Record<string, unknown>, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    send(reply, await this.authorization.start('openrouter', query, req.headers.cookie, req.url));
  }

  @Get('oauth/authorize')
  async authorize(@Query() query: Record<string, unknown>, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    send(reply, await this.authorization.start('oauth', query, req.headers.cookie, req.url));
  }

  @Post('oauth/consent')
  @AcceptsFormPosts()
  async consent(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    send(reply, await this.authorization.decide(req.body, req.headers.cookie));
  }
}

function send(reply: FastifyReply, outcome: AuthorizeOutcome): void {
  if (outcome.kind === 'redirect') sendSeeOther(reply, outcome.location);
  else if (outcome.kind === 'consent') sendPage(reply, consentPage(outcome.view), { status: outcome.status, formTargets: outcome.formTargets });
  else sendPage(reply, errorPage(outcome.title, outcome.message), { status: outcome.status });
}
