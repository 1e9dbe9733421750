import type { ChatResult } from '../../providers/types';
import type { Exchange } from '../exchange';
import type { ResponseShape, StreamShape } from '../response-shape';
import { chatResultToResponse, ResponseContext, ResponseEcho } from './responses-response';
import { ResponsesStream } from './responses-stream';

/** What the Response object says of the exchange: the served model and provider, once one serves (the requested model before). */
function contextOf(ex: Exchange, echo: ResponseEcho): ResponseContext {
  const served = ex.outcome.served;
  const r = served?.attempt.resolved;
  return {
    id: ex.id,
    createdAt: Math.floor(ex.receivedAt / 1000),
    now: Math.floor(ex.now() / 1000),
    model: r?.model.id ?? ex.requestedModel,
    provider: r?.provider.name ?? null,
    serviceTier: served?.stream?.translator.serviceTier?.() ?? ex.outcome.serviceTier ?? null,
    excludeReasoning: ex.init.chat?.excludeReasoning === true,
    echo,
  };
}

/** The OpenAI Responses API as a shape of the chat pipeline's answers, for one request. */
export class ResponsesShape implements ResponseShape {
  constructor(private readonly echo: ResponseEcho) {}

  json(ex: Exchange, result: ChatResult): object {
    return chatResultToResponse({ ...contextOf(ex, this.echo), serviceTier: result.serviceTier ?? null }, result, ex.billed(true));
  }

  stream(ex: Exchange): StreamShape {
    return new ResponsesStream(() => contextOf(ex, this.echo));
  }
}
