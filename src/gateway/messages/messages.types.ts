/** Anthropic Messages API wire shapes, as far as the gateway reads and writes them. */

export interface CacheControl {
  type: 'ephemeral';
  ttl?: '5m' | '1h';
}

type Cacheable = { cache_control?: CacheControl | null };

export type Source =
  { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string } | { type: 'text'; media_type?: string; data: string };

export type TextBlock = { type: 'text'; text: string } & Cacheable;
export type ImageBlock = { type: 'image'; source: Source } & Cacheable;
export type DocumentBlock = { type: 'document'; source: Source; title?: string | null } & Cacheable;
export type ToolUseBlock = { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> } & Cacheable;
export type ToolResultBlock = {
  type: 'tool_result';
  tool_use_id: string;
  content?: string | (TextBlock | ImageBlock)[];
  is_error?: boolean;
} & Cacheable;
export interface ThinkingBlock {
  type: 'thinking';
  thinking: string;
  signature: string;
}
export interface RedactedThinkingBlock {
  type: 'redacted_thinking';
  data: string;
}

export type ContentBlockParam =
  TextBlock | ImageBlock | DocumentBlock | ToolUseBlock | ToolResultBlock | ThinkingBlock | RedactedThinkingBlock;

export interface MessageParam {
  role: 'user' | 'assistant';
  content: string | ContentBlockParam[];
}

export type SystemBlock = TextBlock;

export type MessagesTool = {
  type?: 'custom' | null;
  name: string;
  description?: string;
  input_schema: Record<string, unknown>;
} & Cacheable;

export type MessagesToolChoice = ({ type: 'auto' } | { type: 'any' } | { type: 'none' } | { type: 'tool'; name: string }) & {
  disable_parallel_tool_use?: boolean;
};

export type ThinkingConfig = { type: 'enabled'; budget_tokens: number } | { type: 'disabled' } | { type: 'adaptive' };

export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal';

/** The blocks of an answer. */
export type ContentBlock =
  | { type: 'text'; text: string; citations: null }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }
  | ThinkingBlock
  | RedactedThinkingBlock;

/** `usage` as Anthropic reports it (input_tokens excludes cache reads and writes), with the cost in USD as OpenRouter adds it. */
export interface MessagesUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cost?: number;
}

export interface MessageJson {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  /** The provider that served it (OpenRouter adds it). */
  provider: string;
  content: ContentBlock[];
  stop_reason: StopReason | null;
  stop_sequence: string | null;
  usage: MessagesUsage;
}
