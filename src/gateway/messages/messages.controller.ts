import { Body, Req, Res } from '@nestjs/common';
import { InferenceController, InferencePost, sendUnlessStreamed } from '../inference-route';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_SHAPE, ErrorShape } from '../../common/errors/error-shape';
import { API_KEY_HEADER } from '../../common/http/pre-body-auth';
import { CurrentPrincipal, KeyPrincipal } from '../../keys/principal';
import { ChatCompletionDto } from '../dto/chat-completion.dto';
import { GatewayService } from '../gateway.service';
import { metaOf } from '../request-meta';
import { MessagesDto } from './dto/messages.dto';
import { toChatBody } from './messages-request';
import { MessagesShape } from './messages-shape';

/**
 * Anthropic's Messages API (`POST /api/v1/messages`, what Anthropic's SDKs and Claude Code call
 * with this base URL): translated to a chat request and served by the chat pipeline, answered and
 * streamed as Messages. The key comes as `x-api-key` or a bearer token; every error, from the key
 * check on, is in Anthropic's envelope. `anthropic-version` / `anthropic-beta` are not needed.
 */
@InferenceController()
export class MessagesController {
  constructor(private readonly gateway: GatewayService) {}

  @InferencePost('messages', { [API_KEY_HEADER]: 'x-api-key', [ERROR_SHAPE]: 'anthropic' satisfies ErrorShape })
  async create(
    @CurrentPrincipal() principal: KeyPrincipal,
    @Body() body: MessagesDto,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const chat = Object.assign(new ChatCompletionDto(), toChatBody(body));
    const result = await this.gateway.chat(principal, chat, metaOf(req), reply, new MessagesShape());
    await sendUnlessStreamed(reply, result);
  }
}
