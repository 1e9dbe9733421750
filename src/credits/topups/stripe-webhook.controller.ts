import { Controller, Headers, HttpCode, Post, Req } from '@nestjs/common';
import type { RawBodyRequest } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { StripeEventsService } from './stripe-events.service';

/**
 * Stripe's webhook endpoint. No session or key: the signature over the raw body (kept for this
 * route only, see http-app) is the authentication. Answers as soon as the event is stored.
 */
@Controller('api/v1/webhooks')
export class StripeWebhookController {
  constructor(private readonly events: StripeEventsService) {}

  @Post('stripe')
  @HttpCode(200)
  async receive(
    @Req() req: RawBodyRequest<FastifyRequest>,
    @Headers('stripe-signature') signature?: string | string[],
  ): Promise<{ received: true }> {
    await this.events.receive(req.rawBody, Array.isArray(signature) ? signature[0] : signature);
    return { received: true };
  }
}
