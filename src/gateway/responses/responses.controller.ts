import { Body, Req, Res } from '@nestjs/common';
import { InferenceController, InferencePost, sendUnlessStreamed } from '../inference-route';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentPrincipal, KeyPrincipal } from '../../keys/principal';
import { ChatCompletionDto } from '../dto/chat-completion.dto';
import { GatewayService } from '../gateway.service';
import { metaOf } from '../request-meta';
import { responsesToChat } from './responses-request';
import { echoOf } from './responses-response';
import { ResponsesShape } from './responses-shape';
import { ResponsesDto } from './responses.dto';

/**
 * The OpenAI Responses API, stateless: served as a chat request on the one pipeline (routing,
 * fallbacks, holds, settlement, records), its answer written back as a Response object or the
 * Responses event stream. Errors use the same envelope as chat.
 */
@InferenceController()
export class ResponsesController {
  constructor(private readonly gateway: GatewayService) {}

  @InferencePost('responses')
  async create(
    @CurrentPrincipal() principal: KeyPrincipal,
    @Body() body: ResponsesDto,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const chat = Object.assign(new ChatCompletionDto(), responsesToChat(body));
    const result = await this.gateway.chat(principal, chat, metaOf(req), reply, new ResponsesShape(echoOf(body)));
    await sendUnlessStreamed(reply, result);
  }
}
