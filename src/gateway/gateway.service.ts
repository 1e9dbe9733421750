import { Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { KeyPrincipal } from '../keys/principal';
import { resolveReasoning } from '../providers/reasoning';
import { RouterService } from '../routing/router.service';
import { Admission } from './admission';
import { pluginEnabled } from './dto/checks';
import { ChatCompletionDto } from './dto/chat-completion.dto';
import { EmbeddingsDto } from './dto/embeddings.dto';
import { Exchange, RequestMeta, ResponseFormat } from './exchange';
import { completionJson, EmbeddingsJson, embeddingsJson } from './json-response';
import { estimatePrompt } from './prompt-estimate';
import { requestParams } from './request-params';
import { healingShape, healResult } from './response-healing';
import { RequestFinisher } from './request-finisher';
import { StreamRelay } from './stream-relay';
import { UpstreamCaller } from './upstream-caller';
import { embeddingTokens, modelsOf, upstreamChat } from './request-body';
import { upstreamUser } from './upstream-user';

export type { RequestMeta, ResponseFormat } from './exchange';

/** Whether the client of this request has disconnected (it may have left before anything listened for it). */
const clientGone = (reply: FastifyReply) => reply.raw.destroyed || reply.request.raw.socket?.destroyed === true;

/**
 * The inference pipeline: admit -> plan -> call (fallbacks before the first output) -> relay (JSON
 * or stream) -> finish (settle the one bill exactly once, report, record). One Exchange carries a
 * request through every stage; every admitted request ends in the finisher.
 */
@Injectable()
export class GatewayService {
  constructor(
    private readonly admission: Admission,
    private readonly router: RouterService,
    private readonly caller: UpstreamCaller,
    private readonly relay: StreamRelay,
    private readonly finisher: RequestFinisher,
  ) {}

  async chat(
    principal: KeyPrincipal,
    body: ChatCompletionDto,
    meta: RequestMeta,
    reply: FastifyReply,
    format: ResponseFormat = 'chat',
  ): Promise<object | undefined> {
    const models = modelsOf(body);
    const prompt = estimatePrompt(body);
    const request = upstreamChat(body, principal.userId);
    const chat = { request, excludeReasoning: resolveReasoning(request).exclude, allowContinuation: body.provider?.allow_continuation };
    const streamed = body.stream === true;
    // OpenRouter heals whole answers only: a stream's text has reached the client before it could be repaired.
    const healJson = !streamed && pluginEnabled(body.plugins, 'response-healing') ? healingShape(body.response_format) : null;
    const init = {
      principal,
      meta,
      apiType: 'completions' as const,
      format,
      streamed,
      models,
      prompt,
      user: body.user ?? null,
      chat,
      healJson,
    };
    const ex = this.admission.receive(init, reply.elapsedTime);
    await this.admission.checkFreeTier(ex);
    const clientMax = body.max_completion_tokens ?? body.max_tokens;
    const session = { body: body as { session_id?: unknown; prompt_cache_key?: unknown }, header: meta.sessionHeader };
    const params = requestParams(body as unknown as Record<string, unknown>);
    ex.route = await this.router.plan(
      { models, provider: body.provider, params, promptTokens: prompt.tokens, maxTokens: clientMax, kind: 'chat', session },
      principal,
    );
    await this.admission.admitChat(ex, {
      imageParts: prompt.imageParts,
      clientMax,
      serviceTier: body.service_tier,
      extraCompletionTokens: prompt.predictionTokens,
    });
    return ex.init.streamed ? this.stream(ex, reply) : this.answer(ex, reply);
  }

  async embeddings(principal: KeyPrincipal, body: EmbeddingsDto, meta: RequestMeta, reply: FastifyReply): Promise<EmbeddingsJson> {
    const models = modelsOf(body);
    const prompt = { tokens: embeddingTokens(body.input), images: 0 };
    const init = {
      principal,
      meta,
      apiType: 'embeddings' as const,
      format: 'chat' as const,
      streamed: false,
      models,
      prompt,
      user: body.user ?? null,
      chat: null,
    };
    const ex = this.admission.receive(init, reply.elapsedTime);
    ex.route = await this.router.plan(
      { models, provider: body.provider, params: [], promptTokens: prompt.tokens, kind: 'embedding' },
      principal,
    );
    await this.admission.admitEmbeddings(ex);
    try {
      const request = {
        input: body.input,
        encoding_format: body.encoding_format,
        dimensions: body.dimensions,
        user: body.user && upstreamUser(principal.userId, body.user),
      };
      const result = await this.caller.embeddings(ex, request, () => clientGone(reply));
      ex.billed(true);
      this.jsonHeaders(ex, reply);
      return embeddingsJson(ex, result);
    } catch (err) {
      throw ex.fail(err);
    } finally {
      this.finisher.finish(ex);
    }
  }

  /** A non-streaming answer: read whole, billed, returned for the controller to send. */
  private async answer(ex: Exchange, reply: FastifyReply): Promise<object> {
    const unfollow = ex.followClient(reply.raw, { gone: clientGone(reply) });
    try {
      ex.outcome.served = await this.caller.chat(ex, ex.init.chat!);
      ex.timing?.mark('upstream');
      const read = await this.caller.readResult(ex);
      const result = ex.init.healJson ? healResult(read, ex.init.healJson) : read;
      // Read to its end after the client left: billed on the provider's usage, recorded as cancelled.
      if (ex.outcome.clientLeft) ex.outcome.cancelled = true;
      ex.billed(true);
      this.jsonHeaders(ex, reply);
      return completionJson(ex, result);
    } catch (err) {
      throw ex.fail(err);
    } finally {
      unfollow();
      this.finisher.finish(ex);
    }
  }

  /** A streamed answer, written by the relay (the HTTP layer lets go of the response). */
  private async stream(ex: Exchange, reply: FastifyReply): Promise<undefined> {
    const writer = this.relay.open(ex, reply.raw);
    const unfollow = ex.followClient(reply.raw, { gone: clientGone(reply), cut: () => writer.stalled });
    reply.hijack();
    try {
      const stopKeepAlive = this.relay.keepAlive(ex, writer);
      ex.outcome.served = await this.caller.chat(ex, ex.init.chat!).finally(stopKeepAlive);
      if (ex.timing) {
        ex.timing.mark('upstream');
        writer.setHeader('server-timing', ex.timing.header());
      }
      await this.relay.relay(ex, writer);
    } catch (err) {
      ex.fail(err);
      await this.relay.fail(ex, writer, reply.raw);
    } finally {
      unfollow();
      this.finisher.finish(ex);
    }
    return undefined;
  }

  private jsonHeaders(ex: Exchange, reply: FastifyReply): void {
    reply.header('x-generation-id', ex.id);
    reply.header('x-switchyard-overhead-ms', String(ex.overheadMs()));
    if (ex.timing) {
      ex.timing.mark('response');
      reply.header('server-timing', ex.timing.header());
    }
  }
}
