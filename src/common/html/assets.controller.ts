import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SITE_CSS } from './card-page';

const read = (name: string) => readFileSync(join(__dirname, 'static', name), 'utf8');

/**
 * The console's stylesheet and its one small script (copy button, confirm dialogs), and the
 * stylesheet of the sign-in and consent pages, served from this origin so the CSP can stay
 * `default-src 'self'` with no inline code. Read once at start.
 */
@Controller('assets')
export class AssetsController {
  private readonly css = read('console.css');
  private readonly js = read('console.js');

  @Get('console.css')
  stylesheet(@Res() reply: FastifyReply): void {
    void reply
      .header('content-type', 'text/css; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .header('x-content-type-options', 'nosniff')
      .send(this.css);
  }

  @Get('console.js')
  script(@Res() reply: FastifyReply): void {
    void reply
      .header('content-type', 'text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .header('x-content-type-options', 'nosniff')
      .send(this.js);
  }

  @Get('web.css')
  siteStylesheet(@Res() reply: FastifyReply): void {
    void reply.header('content-type', 'text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(SITE_CSS);
  }
}
