import { toAnthropicEnvelope } from '../../common/errors/anthropic-envelope';
import type { NormalisedError } from '../../common/errors/error-envelope';
import { nanosToUsd } from '../../common/money/money';
import type { ChatResult, ChunkDelta } from '../../providers/types';
import type { Bill } from '../bill';
import type { Exchange } from '../exchange';
import type { ResponseShape, SseFrame, ShapedJson } from '../response-shape';
import { MessageHead, messageJson, messagesUsage, MessagesStreamEncoder } from './messages-response';

const headOf = (ex: Exchange): MessageHead => {
  const r = ex.outcome.served?.attempt.resolved;
  return { id: ex.id, model: r?.model.id ?? ex.requestedModel, provider: r?.provider.name ?? '' };
};

const usageOf = (bill: Bill) => messagesUsage(bill.usage, nanosToUsd(bill.cost));

/** Answers a request as Anthropic's Messages API does; one per request (it keeps its stream's state). */
export class MessagesShape implements ResponseShape {
  private encoder: MessagesStreamEncoder | null = null;

  json(ex: Exchange, result: ChatResult): ShapedJson {
    return { ...messageJson(headOf(ex), result, usageOf(ex.bill!), ex.init.chat?.excludeReasoning === true) };
  }

  streamDeltas(ex: Exchange, deltas: ChunkDelta[]): SseFrame[] {
    return this.stream(ex).deltas(deltas);
  }

  streamEnd(ex: Exchange, bill: Bill): SseFrame[] {
    return this.stream(ex).end(usageOf(bill));
  }

  streamError(ex: Exchange, e: NormalisedError): SseFrame[] {
    return this.stream(ex).error(e);
  }

  errorBody(e: NormalisedError): unknown {
    return toAnthropicEnvelope(e);
  }

  private stream(ex: Exchange): MessagesStreamEncoder {
    this.encoder ??= new MessagesStreamEncoder(headOf(ex));
    return this.encoder;
  }
}
