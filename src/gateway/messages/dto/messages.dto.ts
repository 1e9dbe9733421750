import { IsInt, Max, Min } from 'class-validator';
import { AcceptsUnknownFields } from '../../../common/http/validation.pipe';
import { Check, checkCacheControl } from '../../dto/checks';
import { Optional } from '../../dto/optional';
import { RoutingFieldsDto } from '../../dto/routing-fields';
import { StreamField, TemperatureField, TopPField } from '../../dto/sampling-fields';
import type { MessageParam, MessagesToolChoice, MessagesTool, SystemBlock, ThinkingConfig } from '../messages.types';
import {
  checkMessageList,
  checkMessageMetadata,
  checkMessageToolChoice,
  checkMessageTools,
  checkStopSequences,
  checkSystem,
  checkThinking,
} from './message-checks';

/**
 * `POST /api/v1/messages`: Anthropic's Messages API, with OpenRouter's routing fields (`models`,
 * `provider`). `max_tokens` is required, as Anthropic requires it. Fields we do not know are
 * dropped (`anthropic-beta` features the gateway does not carry).
 */
@AcceptsUnknownFields()
export class MessagesDto extends RoutingFieldsDto {
  @IsInt({ message: 'max_tokens is required and must be an integer' })
  @Min(1)
  @Max(10_000_000)
  max_tokens: number;

  @Check(checkMessageList)
  messages: MessageParam[];

  @Optional()
  @Check(checkSystem)
  system?: string | SystemBlock[];

  @StreamField()
  stream?: boolean;

  @TemperatureField(1)
  temperature?: number;

  @TopPField()
  top_p?: number;

  @Optional()
  @IsInt()
  @Min(0)
  top_k?: number;

  @Optional()
  @Check(checkStopSequences)
  stop_sequences?: string[];

  @Optional()
  @Check(checkMessageTools)
  tools?: MessagesTool[];

  @Optional()
  @Check(checkMessageToolChoice)
  tool_choice?: MessagesToolChoice;

  @Optional()
  @Check(checkThinking)
  thinking?: ThinkingConfig;

  @Optional()
  @Check(checkMessageMetadata)
  metadata?: { user_id?: string | null };

  /** Top level: automatic prompt caching (a breakpoint on the last cacheable block). */
  @Optional()
  @Check(checkCacheControl)
  cache_control?: { type: 'ephemeral'; ttl?: '5m' | '1h' };
}
