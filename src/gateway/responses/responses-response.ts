import type { FinishReason, ChatResult } from '../../providers/types';
import type { Bill } from '../bill';
import { costJson, CostJson } from '../json-response';
import type { ResponsesDto, ResponsesText, ResponsesToolChoice, FunctionToolDef } from './responses.dto';

/** The request's fields a Response object echoes (OpenAI's shape: null where the client set nothing). */
export interface ResponseEcho {
  instructions: string | null;
  max_output_tokens: number | null;
  metadata: Record<string, string>;
  parallel_tool_calls: boolean;
  reasoning: { effort: string | null; summary: string | null } | null;
  temperature: number | null;
  text: ResponsesText;
  tool_choice: ResponsesToolChoice;
  tools: (FunctionToolDef & { description: string | null; parameters: Record<string, unknown> | null; strict: boolean | null })[];
  top_p: number | null;
  user: string | null;
}

export function echoOf(req: ResponsesDto): ResponseEcho {
  return {
    instructions: req.instructions ?? null,
    max_output_tokens: req.max_output_tokens ?? null,
    metadata: req.metadata ?? {},
    parallel_tool_calls: req.parallel_tool_calls ?? true,
    reasoning: req.reasoning
      ? { effort: req.reasoning.effort ?? null, summary: req.reasoning.summary ?? req.reasoning.generate_summary ?? null }
      : null,
    temperature: req.temperature ?? null,
    text: { format: req.text?.format ?? { type: 'text' }, ...(req.text?.verbosity != null ? { verbosity: req.text.verbosity } : {}) },
    tool_choice: req.tool_choice ?? 'auto',
    tools: (req.tools ?? []).map((t) => ({
      type: 'function',
      name: t.name,
      description: t.description ?? null,
      parameters: t.parameters ?? null,
      strict: t.strict ?? null,
    })),
    top_p: req.top_p ?? null,
    user: req.user ?? null,
  };
}

/** What a Response object says about the request beyond its output: its id, when, which model and provider. */
export interface ResponseContext {
  /** The generation id (also the `x-generation-id` header and the /generation key). */
  id: string;
  /** Seconds: when the request came, and now (when the context is read). */
  createdAt: number;
  now: number;
  model: string;
  provider: string | null;
  serviceTier: string | null;
  /** reasoning.exclude: the reasoning is billed but not returned. */
  excludeReasoning: boolean;
  echo: ResponseEcho;
}

export interface OutputText {
  type: 'output_text';
  text: string;
  annotations: never[];
  logprobs: never[];
}
export interface OutputRefusal {
  type: 'refusal';
  refusal: string;
}
export interface SummaryText {
  type: 'summary_text';
  text: string;
}
type ItemStatus = 'in_progress' | 'completed' | 'incomplete';
export type OutputItem =
  | { id: string; type: 'reasoning'; summary: SummaryText[]; status?: ItemStatus }
  | { id: string; type: 'message'; role: 'assistant'; status: ItemStatus; content: (OutputText | OutputRefusal)[] }
  | { id: string; type: 'function_call'; status: ItemStatus; call_id: string; name: string; arguments: string };

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete' | 'failed';

export interface ResponsesUsage extends CostJson {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; cache_write_tokens?: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export interface ResponseJson extends ResponseEcho {
  id: string;
  object: 'response';
  created_at: number;
  completed_at: number | null;
  status: ResponseStatus;
  error: { code: string; message: string } | null;
  incomplete_details: { reason: 'max_output_tokens' | 'content_filter' } | null;
  model: string;
  provider: string | null;
  output: OutputItem[];
  previous_response_id: null;
  store: false;
  background: false;
  truncation: 'disabled';
  service_tier: string | null;
  usage: ResponsesUsage | null;
}

/** An output item's id: its kind's prefix, the generation's id and the item's place, unique within and across responses. */
export const itemId = (prefix: 'msg' | 'fc' | 'rs', id: string, index: number): string => `${prefix}_${id.replace(/^gen-/, '')}_${index}`;

/** The billed usage in the Responses API's words, with its cost as chat's `usage` carries it. */
export function responsesUsage(bill: Bill): ResponsesUsage {
  const u = bill.usage ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  const cacheWrite = u.prompt_tokens_details?.cache_write_tokens;
  return {
    input_tokens: u.prompt_tokens,
    input_tokens_details: {
      cached_tokens: u.prompt_tokens_details?.cached_tokens ?? 0,
      ...(cacheWrite ? { cache_write_tokens: cacheWrite } : {}),
    },
    output_tokens: u.completion_tokens,
    output_tokens_details: { reasoning_tokens: u.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: u.total_tokens,
    ...costJson(bill),
  };
}

/** A finish reason as a Response's status: cut by max_output_tokens or a content filter, it is incomplete. */
export function statusOf(finish: FinishReason | null): { status: ResponseStatus; incomplete_details: ResponseJson['incomplete_details'] } {
  if (finish === 'length') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (finish === 'content_filter') return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

export interface ResponseParts {
  status: ResponseStatus;
  output: OutputItem[];
  usage: ResponsesUsage | null;
  error?: ResponseJson['error'];
  incomplete_details?: ResponseJson['incomplete_details'];
  completedAt?: number | null;
}

/** A Response object: the request's echo, its output and status, and its usage (null until it is known). */
export function responseJson(ctx: ResponseContext, parts: ResponseParts): ResponseJson {
  return {
    id: ctx.id,
    object: 'response',
    created_at: ctx.createdAt,
    completed_at: parts.completedAt ?? null,
    status: parts.status,
    error: parts.error ?? null,
    incomplete_details: parts.incomplete_details ?? null,
    model: ctx.model,
    provider: ctx.provider,
    output: parts.output,
    previous_response_id: null,
    store: false,
    background: false,
    truncation: 'disabled',
    service_tier: ctx.serviceTier,
    ...ctx.echo,
    usage: parts.usage,
  };
}

/** A non-streaming chat result as the Response's output items: reasoning, the message, then its function calls. */
export function outputItems(ctx: ResponseContext, result: ChatResult): OutputItem[] {
  const m = result.message;
  const items: OutputItem[] = [];
  if (m.reasoning && !ctx.excludeReasoning)
    items.push({ id: itemId('rs', ctx.id, items.length), type: 'reasoning', summary: [{ type: 'summary_text', text: m.reasoning }] });
  const content: (OutputText | OutputRefusal)[] = [];
  if (m.content) content.push({ type: 'output_text', text: m.content, annotations: [], logprobs: [] });
  if (m.refusal) content.push({ type: 'refusal', refusal: m.refusal });
  const calls = m.tool_calls ?? [];
  // A turn with neither text nor calls is still a (empty) message, as OpenAI answers it.
  if (content.length || calls.length === 0) {
    const status = statusOf(result.finishReason).status === 'incomplete' ? 'incomplete' : 'completed';
    items.push({
      id: itemId('msg', ctx.id, items.length),
      type: 'message',
      role: 'assistant',
      status,
      content: content.length ? content : [{ type: 'output_text', text: '', annotations: [], logprobs: [] }],
    });
  }
  for (const c of calls) {
    items.push({
      id: itemId('fc', ctx.id, items.length),
      type: 'function_call',
      status: 'completed',
      call_id: c.id,
      name: c.function.name,
      arguments: c.function.arguments,
    });
  }
  return items;
}

/** A non-streaming answer as a Response object, billed by `bill`. */
export function chatResultToResponse(ctx: ResponseContext, result: ChatResult, bill: Bill): ResponseJson {
  const { status, incomplete_details } = statusOf(result.finishReason);
  return responseJson(ctx, {
    status,
    incomplete_details,
    output: outputItems(ctx, result),
    usage: responsesUsage(bill),
    completedAt: ctx.now,
  });
}
