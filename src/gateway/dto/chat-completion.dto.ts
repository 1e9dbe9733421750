import { IsBoolean, IsIn, IsInt, IsNumber, IsObject, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { AcceptsUnknownFields } from '../../common/http/validation.pipe';
import type { ChatMessage, ResponseFormat, ToolChoice, ToolDef } from '../../providers/types';
import { Check, checkMessages, checkObject, checkResponseFormat, checkToolChoice, checkTools } from './checks';
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

  /** Only one choice per request: several would multiply cost beyond the hold. */

  @IsOptional()
  @IsIn(['auto', 'default', 'fast', 'flex', 'priority', 'scale'])
  service_tier?: string;
}
