import { Allow, IsBoolean, IsString, MaxLength } from 'class-validator';
import { AcceptsUnknownFields } from '../../common/http/validation.pipe';
import { Check, checkMetadata } from '../dto/checks';
import { Optional } from '../dto/optional';
import { RoutingFieldsDto } from '../dto/routing-fields';
import { KeyField, ServiceTierField, StreamField, TemperatureField, TokenLimitField, TopPField } from '../dto/sampling-fields';
import { checkInput, checkReasoning, checkResponsesToolChoice, checkResponsesTools, checkText } from './responses-checks';

/** An input content part (see responses-checks for the kinds served). */
export type InputPart = { type: string; [k: string]: unknown };

/** An input item: a message, a function call and its output, or a reasoning item. */
export type InputItem = { type?: string; role?: string; content?: string | InputPart[]; [k: string]: unknown };

export interface FunctionToolDef {
  type: 'function';
  name: string;
  description?: string | null;
  parameters?: Record<string, unknown> | null;
  strict?: boolean | null;
}

export type ResponsesToolChoice = 'none' | 'auto' | 'required' | { type: 'function'; name: string };

export interface ResponsesReasoning {
  effort?: string | null;
  summary?: string | null;
  generate_summary?: string | null;
  /** OpenRouter's extras, as in chat's `reasoning`. */
  max_tokens?: number | null;
  enabled?: boolean | null;
  exclude?: boolean | null;
}

export type TextFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown>; strict?: boolean | null; description?: string | null };

export interface ResponsesText {
  format?: TextFormat | null;
  verbosity?: string | null;
}

/**
 * `POST /api/v1/responses`: the OpenAI Responses API, stateless (nothing is stored, so `store:
 * true`, `previous_response_id`, `background` and `conversation` are refused by the translator).
 * Known fields are checked by type and range; fields we do not know are dropped, as chat does.
 */
@AcceptsUnknownFields()
export class ResponsesDto extends RoutingFieldsDto {
  @Check(checkInput)
  input: string | InputItem[];

  @Optional()
  @IsString()
  @MaxLength(1_000_000)
  instructions?: string;

  @Optional()
  @Check(checkResponsesTools)
  tools?: FunctionToolDef[];

  @Optional()
  @Check(checkResponsesToolChoice)
  tool_choice?: ResponsesToolChoice;

  @Optional()
  @IsBoolean()
  parallel_tool_calls?: boolean;

  @TokenLimitField()
  max_output_tokens?: number;

  @Optional()
  @Check(checkReasoning)
  reasoning?: ResponsesReasoning;

  @Optional()
  @Check(checkText)
  text?: ResponsesText;

  @TemperatureField(2)
  temperature?: number;

  @TopPField()
  top_p?: number;

  @Optional()
  @Check(checkMetadata)
  metadata?: Record<string, string>;

  @StreamField()
  stream?: boolean;

  @KeyField()
  session_id?: string;

  @KeyField()
  prompt_cache_key?: string;

  @ServiceTierField()
  service_tier?: string;

  /** Stored state this endpoint does not keep: checked so that asking for it is a 400, never silently ignored. */
  @Optional()
  @IsBoolean()
  store?: boolean;

  @Optional()
  @IsString()
  @MaxLength(256)
  previous_response_id?: string;

  @Optional()
  @IsBoolean()
  background?: boolean;

  @Optional()
  @Allow()
  conversation?: unknown;

  @Optional()
  @Allow()
  prompt?: unknown;
}
