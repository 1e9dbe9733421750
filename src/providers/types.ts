/**
 * The canonical request and response shapes inside Switchyard: OpenAI Chat Completions, as our
 * API speaks it. Adapters translate between these and each upstream API. Fields not listed are
 * kept as they are (index signatures) so OpenAI-compatible upstreams see what the client sent.
 */
import type { AdapterKind, TokenCounts } from '../catalog/catalog.types';

export type Role = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

export interface TextPart {
  type: 'text';
  text: string;
}
export interface ImagePart {
  type: 'image_url';
  image_url: { url: string; detail?: 'auto' | 'low' | 'high' };
}
export type ContentPart = TextPart | ImagePart | { type: string; [k: string]: unknown };

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatMessage {
  role: Role;
  content?: string | ContentPart[] | null;
  name?: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
  [k: string]: unknown;
}

export interface ToolDef {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}

export type ToolChoice = 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; json_schema: { name: string; schema?: Record<string, unknown>; strict?: boolean; description?: string } };

/** What adapters receive: the client's request after validation, with `model` and limits decided. */
export interface ChatRequest {
  messages: ChatMessage[];
  /** Upper bound on generated tokens, decided by the gateway (never absent upstream). */
  max_tokens: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  frequency_penalty?: number;
  presence_penalty?: number;
  repetition_penalty?: number;
  seed?: number;
  stop?: string | string[];
  tools?: ToolDef[];
  tool_choice?: ToolChoice;
  parallel_tool_calls?: boolean;
  response_format?: ResponseFormat;
  logprobs?: boolean;
  top_logprobs?: number;
  logit_bias?: Record<string, number>;
  user?: string;
  reasoning?: { effort?: string; max_tokens?: number; exclude?: boolean; enabled?: boolean };
  /** Shorthand for reasoning.effort; read through resolveReasoning. */
  reasoning_effort?: string;
  /** Legacy reasoning switch; read through resolveReasoning. */
  include_reasoning?: boolean;
  /** Top-level prompt caching (Anthropic's automatic caching). */
  cache_control?: { type: 'ephemeral'; ttl?: '5m' | '1h' };
  [k: string]: unknown;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'error';

/** Token usage as the API reports it; the counts the catalog prices, plus totals and details. */
export interface Usage extends TokenCounts {
  total_tokens: number;
  completion_tokens_details?: { reasoning_tokens?: number };
}

/**
 * Reasoning as OpenRouter details it, for what a provider needs back on the next turn: Anthropic's
 * thinking signature (`reasoning.text`) and its redacted thinking (`reasoning.encrypted`).
 */
export type ReasoningDetail =
  | { type: 'reasoning.text'; text?: string; signature?: string | null; format?: string; index?: number }
  | { type: 'reasoning.encrypted'; data: string; format?: string; index?: number };

export interface AssistantMessage {
  role: 'assistant';
  content: string | null;
  tool_calls?: ToolCall[];
  reasoning?: string | null;
  reasoning_details?: ReasoningDetail[];
  refusal?: string | null;
}

/** Token log probabilities as OpenAI returns them for a choice (`{content: [...], refusal?}`), relayed as they are. */
export type Logprobs = Record<string, unknown>;

/** A non-streaming result, before the gateway adds id, model, provider and cost. */
export interface ChatResult {
  message: AssistantMessage;
  finishReason: FinishReason | null;
  nativeFinishReason: string | null;
  usage: Usage | null;
  logprobs?: Logprobs | null;
  /** The tier the upstream says served the request (OpenAI's `service_tier`), when it says. */
  serviceTier?: string | null;
}

/** One streamed delta, before the gateway wraps it into a `chat.completion.chunk`. */
export interface ChunkDelta {
  delta: {
    role?: 'assistant';
    content?: string;
    reasoning?: string;
    /** Signatures and redacted reasoning; the reasoning text itself comes as `reasoning`. */
    reasoning_details?: ReasoningDetail[];
    refusal?: string;
    tool_calls?: { index: number; id?: string; type?: 'function'; function?: { name?: string; arguments?: string } }[];
  };
  finishReason?: FinishReason | null;
  nativeFinishReason?: string | null;
  logprobs?: Logprobs | null;
}

export interface SseEvent {
  event: string | null;
  data: string;
}

/** Turns one upstream stream into canonical deltas; one instance per upstream response. */
export interface StreamTranslator {
  /** One SSE event from the upstream; returns the deltas it carries (possibly none). */
  push(event: SseEvent): ChunkDelta[];
  /** Usage reported by the upstream so far (OpenAI's final chunk, Anthropic's message_delta, ...). */
  usage(): Usage | null;
  /**
   * False while that usage is only what the upstream reported before its end (Anthropic's
   * message_start, Gemini's prompt count on every chunk): its completion count is not the bill.
   * Absent where usage only ever comes complete.
   */
  usageFinal?(): boolean;
  /** True once the upstream signalled the end of the generation ([DONE], message_stop, ...). */
  done(): boolean;
  /** An error the upstream sent inside the stream, if any. */
  error(): { message: string; code?: string } | null;
  /** The tier the upstream says serves the stream (OpenAI's `service_tier`); absent where the API has none. */
  serviceTier?(): string | null;
}

export interface EmbeddingsRequest {
  input: string | string[] | number[] | number[][];
  encoding_format?: 'float' | 'base64';
  dimensions?: number;
  user?: string;
}

export interface EmbeddingsResult {
  data: { object: 'embedding'; index: number; embedding: number[] | string }[];
  usage: { prompt_tokens: number; total_tokens: number };
}

export interface UpstreamTarget {
  baseUrl: string;
  apiKey: string | null;
  /** The upstream's model name. */
  model: string;
}

export interface HttpRequestSpec {
  method: 'POST';
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** One upstream API. Pure translation: no I/O, so every adapter is unit-testable on fixtures. */
export interface ProviderAdapter {
  readonly kind: AdapterKind;
  chatRequest(req: ChatRequest, target: UpstreamTarget, stream: boolean): HttpRequestSpec;
  /** Parses a 2xx JSON body. Throws AdapterError when it is not a valid response. */
  parseChatResponse(body: unknown): ChatResult;
  streamTranslator(): StreamTranslator;
  /** Undefined when the upstream API has no embeddings in this adapter. */
  embeddingsRequest?(req: EmbeddingsRequest, target: UpstreamTarget): HttpRequestSpec;
  /** `req` lets adapters whose upstream reports no token counts estimate them from the input. */
  parseEmbeddingsResponse?(body: unknown, req?: EmbeddingsRequest): EmbeddingsResult;
  /** The upstream's error body (any status >= 400) reduced to a message and its own code. */
  parseError(status: number, body: string): { message: string; code?: string };
}

/** An upstream answer the adapter cannot make sense of (a protocol error, not a client error). */
export class AdapterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdapterError';
  }
}
