import { Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AcceptsFormPosts } from '../common/http/http-app';
import { errorPage } from '../common/html/card-page';
import { sendPage, sendSeeOther } from '../common/html/page-reply';
import { AuthorizationService, AuthorizeOutcome } from './authorization.service';
import { CONSENT_JS, consentPage, headlessCodePage } from './consent.page';

/**
 * The browser side of both flows: `/auth` (OpenRouter-style, no registration), `/oauth/authorize`
 * (OAuth 2.1, registered clients), the consent form they share and its script. Answers are HTML
 * pages or 303s.
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

  @Get('assets/consent.js')
  consentJs(@Res() reply: FastifyReply): void {
    void reply.header('content-type', 'text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(CONSENT_JS);
  }
}

function send(reply: FastifyReply, outcome: AuthorizeOutcome): void {
  if (outcome.kind === 'redirect') sendSeeOther(reply, outcome.location);
  else if (outcome.kind === 'consent')
    sendPage(reply, consentPage(outcome.view), { status: outcome.status, formTargets: outcome.formTargets });
  else if (outcome.kind === 'code') sendPage(reply, headlessCodePage(outcome.view));
  else sendPage(reply, errorPage(outcome.title, outcome.message), { status: outcome.status });
}
