import { IsBoolean, IsIn, IsInt, IsNumber, IsObject, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
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
import { SamplingFieldsDto } from './sampling-fields';

/**
 * `POST /api/v1/chat/completions`. Known fields are checked by type and range; fields we do not
 * know are dropped (OpenRouter ignores parameters it does not use).
 */
@AcceptsUnknownFields()
export class ChatCompletionDto extends SamplingFieldsDto {
  @Check(checkMessages)
  messages: ChatMessage[];

  @IsOptional()
  @IsObject()
  stream_options?: { include_usage?: boolean };

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  max_completion_tokens?: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  top_k?: number;

  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(2)
  repetition_penalty?: number;

  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  min_p?: number;

  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  top_a?: number;

  @IsOptional()
  @Check(checkObject)
  logit_bias?: Record<string, number>;

  @IsOptional()
  @IsBoolean()
  logprobs?: boolean;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(20)
  top_logprobs?: number;

  @IsOptional()
  @Check(checkResponseFormat)
  response_format?: ResponseFormat;

  @IsOptional()
  @Check(checkTools)
  tools?: ToolDef[];

  @IsOptional()
  @Check(checkToolChoice)
  tool_choice?: ToolChoice;

  @IsOptional()
  @IsBoolean()
  parallel_tool_calls?: boolean;

  @IsOptional()
  @IsObject()
  reasoning?: { effort?: string; max_tokens?: number; exclude?: boolean; enabled?: boolean };

  @IsOptional()
  @IsIn(['max', 'xhigh', 'high', 'medium', 'low', 'minimal', 'none'])
  reasoning_effort?: string;

  @IsOptional()
  @IsString()
  @MaxLength(256)
  session_id?: string;

  @IsOptional()
  @IsString()
  @MaxLength(256)
  prompt_cache_key?: string;

  @IsOptional()
  @IsIn(['auto', 'default', 'fast', 'flex', 'priority', 'scale'])
  service_tier?: string;

  /** Predicted output, `{type: "content", content}`. */
  @IsOptional()
  @Check(checkObject)
  prediction?: Record<string, unknown>;

  @IsOptional()
  @Check(checkStringList(8, 32))
  modalities?: string[];

  /** Audio output options (`voice`, `format`), with `modalities` including "audio". */
  @IsOptional()
  @Check(checkObject)
  audio?: Record<string, unknown>;

  @IsOptional()
  @IsString()
  @MaxLength(32)
  verbosity?: string;

  @IsOptional()
  @Check(checkObject)
  web_search_options?: Record<string, unknown>;

  @IsOptional()
  @Check(checkMetadata)
  metadata?: Record<string, string>;

  /** OpenRouter's legacy reasoning switch; kept so provider.require_parameters can ask for it. */
  @IsOptional()
  @IsBoolean()
  include_reasoning?: boolean;

  /** Top level: Anthropic's automatic prompt caching (a breakpoint on the last cacheable block). */
  @IsOptional()
  @Check(checkCacheControl)
  cache_control?: { type: 'ephemeral'; ttl?: '5m' | '1h' };
}
