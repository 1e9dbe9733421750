import { toAnthropicEnvelope } from '../../common/errors/anthropic-envelope';
import type { NormalisedError } from '../../common/errors/error-envelope';
import { nanosToUsd } from '../../common/money/money';
import type { ChatResult } from '../../providers/types';
import type { Bill } from '../bill';
import type { Exchange } from '../exchange';
import type { ResponseShape, StreamShape } from '../response-shape';
import { MessageHead, messageJson, messagesUsage, MessagesStreamEncoder } from './messages-response';

const headOf = (ex: Exchange): MessageHead => {
  const r = ex.outcome.served?.attempt.resolved;
  return { id: ex.id, model: r?.model.id ?? ex.requestedModel, provider: r?.provider.name ?? '' };
};

const usageOf = (bill: Bill) => messagesUsage(bill.usage, nanosToUsd(bill.cost));

/** Answers a request as Anthropic's Messages API does, errors in Anthropic's envelope. */
export class MessagesShape implements ResponseShape {
  json(ex: Exchange, result: ChatResult): object {
    return messageJson(headOf(ex), result, usageOf(ex.bill!), ex.init.chat?.excludeReasoning === true);
  }

  stream(ex: Exchange): StreamShape {
    const encoder = new MessagesStreamEncoder(headOf(ex));
    return {
      deltas: (ds) => encoder.deltas(ds),
      complete: (bill) => encoder.end(usageOf(bill)),
      failed: (error) => encoder.error(error),
    };
  }

  errorBody(e: NormalisedError): object {
    return toAnthropicEnvelope(e);
  }
}
