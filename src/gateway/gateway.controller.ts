import { Body, Req, Res } from '@nestjs/common';
import { InferenceController, InferencePost, sendUnlessStreamed } from './inference-route';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentPrincipal, KeyPrincipal } from '../keys/principal';
import { ChatCompletionDto } from './dto/chat-completion.dto';
import { CompletionDto } from './dto/completion.dto';
import { EmbeddingsDto } from './dto/embeddings.dto';
import { GatewayService } from './gateway.service';
import { metaOf } from './request-meta';

/**
 * The OpenAI-compatible inference API. Streaming answers are written by the gateway itself, so
 * these handlers send non-streaming results explicitly rather than returning them.
 */
@InferenceController()
export class GatewayController {
  constructor(private readonly gateway: GatewayService) {}

  @InferencePost('chat/completions')
  async chat(
    @CurrentPrincipal() principal: KeyPrincipal,
    @Body() body: ChatCompletionDto,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const result = await this.gateway.chat(principal, body, metaOf(req), reply);
    await sendUnlessStreamed(reply, result);
  }

  /** Legacy text completions, served as a chat request with the prompt as one user message. */
  @InferencePost('completions')
  async completions(
    @CurrentPrincipal() principal: KeyPrincipal,
    @Body() body: CompletionDto,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { prompt, logprobs, ...rest } = body;
    const chat = Object.assign(new ChatCompletionDto(), rest, {
      messages: [{ role: 'user' as const, content: Array.isArray(prompt) ? prompt[0] : prompt }],
      // Chat asks for the chosen tokens' log probabilities and the number of alternatives separately.
      ...(logprobs !== undefined ? { logprobs: true, top_logprobs: logprobs } : {}),
    });
    const result = await this.gateway.chat(principal, chat, metaOf(req), reply, 'text');
    await sendUnlessStreamed(reply, result);
  }

  @InferencePost('embeddings')
  async embeddings(
    @CurrentPrincipal() principal: KeyPrincipal,
    @Body() body: EmbeddingsDto,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await reply.send(await this.gateway.embeddings(principal, body, metaOf(req), reply));
  }
}
