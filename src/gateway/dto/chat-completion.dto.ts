import { IsBoolean, IsIn, IsInt, IsNumber, IsObject, IsString, Max, MaxLength, Min } from 'class-validator';
import { AcceptsUnknownFields } from '../../common/http/validation.pipe';
import type { ChatMessage, ResponseFormat, ToolChoice, ToolDef } from '../../providers/types';
import {
  Check,
  checkCacheControl,
  checkMessages,
  checkMetadata,
  checkObject,
  checkResponseFormat,
  checkStringList,
  checkToolChoice,
  checkTools,
} from './checks';
import { Optional } from './optional';
import { KeyField, SamplingFieldsDto, ServiceTierField } from './sampling-fields';

/**
 * `POST /api/v1/chat/completions`. Known fields are checked by type and range; fields we do not
 * know are dropped (OpenRouter ignores parameters it does not use).
 */
@AcceptsUnknownFields()
export class ChatCompletionDto extends SamplingFieldsDto {
  @Check(checkMessages)
  messages: ChatMessage[];

  @Optional()
  @IsObject()
  stream_options?: { include_usage?: boolean };

  @Optional()
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  max_completion_tokens?: number;

  @Optional()
  @IsInt()
  @Min(0)
  top_k?: number;

  @Optional()
  @IsNumber()
  @Min(0)
  @Max(2)
  repetition_penalty?: number;

  @Optional()
  @IsNumber()
  @Min(0)
  @Max(1)
  min_p?: number;

  @Optional()
  @IsNumber()
  @Min(0)
  @Max(1)
  top_a?: number;

  @Optional()
  @Check(checkObject)
  logit_bias?: Record<string, number>;

  @Optional()
  @IsBoolean()
  logprobs?: boolean;

  @Optional()
  @IsInt()
  @Min(0)
  @Max(20)
  top_logprobs?: number;

  @Optional()
  @Check(checkResponseFormat)
  response_format?: ResponseFormat;

  @Optional()
  @Check(checkTools)
  tools?: ToolDef[];

  @Optional()
  @Check(checkToolChoice)
  tool_choice?: ToolChoice;

  @Optional()
  @IsBoolean()
  parallel_tool_calls?: boolean;

  @Optional()
  @IsObject()
  reasoning?: { effort?: string; max_tokens?: number; exclude?: boolean; enabled?: boolean };

  @Optional()
  @IsIn(['max', 'xhigh', 'high', 'medium', 'low', 'minimal', 'none'])
  reasoning_effort?: string;

  @KeyField()
  session_id?: string;

  @KeyField()
  prompt_cache_key?: string;

  @ServiceTierField()
  service_tier?: string;

  /** Predicted output, `{type: "content", content}`. */
  @Optional()
  @Check(checkObject)
  prediction?: Record<string, unknown>;

  @Optional()
  @Check(checkStringList(8, 32))
  modalities?: string[];

  /** Audio output options (`voice`, `format`), with `modalities` including "audio". */
  @Optional()
  @Check(checkObject)
  audio?: Record<string, unknown>;

  @Optional()
  @IsString()
  @MaxLength(32)
  verbosity?: string;

  @Optional()
  @Check(checkObject)
  web_search_options?: Record<string, unknown>;

  @Optional()
  @Check(checkMetadata)
  metadata?: Record<string, string>;

  /** OpenRouter's legacy reasoning switch; kept so provider.require_parameters can ask for it. */
  @Optional()
  @IsBoolean()
  include_reasoning?: boolean;

  /** Top level: Anthropic's automatic prompt caching (a breakpoint on the last cacheable block). */
  @Optional()
  @Check(checkCacheControl)
  cache_control?: { type: 'ephemeral'; ttl?: '5m' | '1h' };
}
