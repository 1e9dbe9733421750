import type { ChatMessage, ContentPart, ResponseFormat, ToolChoice, ToolDef } from '../../providers/types';
import type { FunctionToolDef, InputItem, InputPart, ResponsesDto, ResponsesToolChoice, TextFormat } from './responses.dto';
import { itemType } from './responses-checks';
import { ResponsesErrors } from './responses.errors';

/** The chat request a Responses request is served as: the fields of ChatCompletionDto it sets. */
export interface ChatBody {
  messages: ChatMessage[];
  model?: string;
  models?: string[];
  provider?: ResponsesDto['provider'];
  user?: string;
  stream?: boolean;
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  tools?: ToolDef[];
  tool_choice?: ToolChoice;
  parallel_tool_calls?: boolean;
  response_format?: ResponseFormat;
  reasoning?: { effort?: string; max_tokens?: number; exclude?: boolean; enabled?: boolean };
  verbosity?: string;
  metadata?: Record<string, string>;
  session_id?: string;
  prompt_cache_key?: string;
  service_tier?: string;
}

/** A content part as chat writes it. */
function chatPart(p: InputPart): ContentPart {
  switch (p.type) {
    case 'input_image':
      return {
        type: 'image_url',
        image_url: {
          url: p.image_url as string,
          ...(p.detail === 'low' || p.detail === 'high' || p.detail === 'auto' ? { detail: p.detail } : {}),
        },
      };
    case 'input_file':
      return {
        type: 'file',
        file: { ...(typeof p.filename === 'string' ? { filename: p.filename } : {}), file_data: (p.file_data ?? p.file_url) as string },
      };
    case 'refusal':
      return { type: 'text', text: p.refusal as string };
    default:
      return { type: 'text', text: p.text as string };
  }
}

/** Content as chat takes it: a string stays one; parts that are all text become one string (every adapter takes that). */
function chatContent(content: string | InputPart[]): string | ContentPart[] {
  if (typeof content === 'string') return content;
  const parts = content.map(chatPart);
  return parts.every((p) => p.type === 'text') ? parts.map((p) => (p as { text: string }).text).join('') : parts;
}

/** The conversation as chat messages: instructions first, then the items in order. */
function messagesOf(instructions: string | undefined, input: string | InputItem[]): ChatMessage[] {
  const messages: ChatMessage[] = instructions ? [{ role: 'system', content: instructions }] : [];
  if (typeof input === 'string') return [...messages, { role: 'user', content: input }];
  for (const item of input) {
    const last = messages[messages.length - 1];
    switch (itemType(item)) {
      case 'message': {
        const role = item.role as ChatMessage['role'];
        // An assistant turn is text for every adapter; its refusals are kept as text.
        const content = chatContent(item.content ?? '');
        messages.push({
          role,
          content:
            role === 'assistant' && Array.isArray(content) ? content.map((p) => (p as { text?: string }).text ?? '').join('') : content,
        });
        break;
      }
      case 'function_call': {
        const call = {
          id: item.call_id as string,
          type: 'function' as const,
          function: { name: item.name as string, arguments: item.arguments as string },
        };
        // The calls of one turn (and the text before them) are one assistant message in chat.
        if (last?.role === 'assistant') last.tool_calls = [...(last.tool_calls ?? []), call];
        else messages.push({ role: 'assistant', content: null, tool_calls: [call] });
        break;
      }
      case 'function_call_output':
        messages.push({ role: 'tool', tool_call_id: item.call_id as string, content: chatContent(item.output as string | InputPart[]) });
        break;
      // Reasoning items of earlier turns are not replayed: their encrypted content is a provider's own, and chat has no place for them.
      default:
        break;
    }
  }
  if (!messages.some((m) => m.role !== 'system')) throw ResponsesErrors.noInput();
  return messages;
}

const chatTool = (t: FunctionToolDef): ToolDef => ({
  type: 'function',
  function: {
    name: t.name,
    ...(t.description != null ? { description: t.description } : {}),
    ...(t.parameters != null ? { parameters: t.parameters } : {}),
    ...(t.strict != null ? { strict: t.strict } : {}),
  },
});

const chatToolChoice = (c: ResponsesToolChoice): ToolChoice =>
  typeof c === 'string' ? c : { type: 'function', function: { name: c.name } };

function chatResponseFormat(f: TextFormat): ResponseFormat | undefined {
  if (f.type === 'json_object') return { type: 'json_object' };
  if (f.type !== 'json_schema') return undefined;
  return {
    type: 'json_schema',
    json_schema: {
      name: f.name,
      schema: f.schema,
      ...(f.strict != null ? { strict: f.strict } : {}),
      ...(f.description != null ? { description: f.description } : {}),
    },
  };
}

/** `reasoning` as chat takes it; asking for a summary asks for reasoning. */
function chatReasoning(r: NonNullable<ResponsesDto['reasoning']>): ChatBody['reasoning'] {
  const out: NonNullable<ChatBody['reasoning']> = {};
  if (r.effort != null) out.effort = r.effort;
  if (r.max_tokens != null) out.max_tokens = r.max_tokens;
  if (r.exclude != null) out.exclude = r.exclude;
  if (r.enabled != null) out.enabled = r.enabled;
  else if (r.effort == null && r.max_tokens == null && (r.summary ?? r.generate_summary) != null) out.enabled = true;
  return Object.keys(out).length ? out : undefined;
}

/** Refuses what needs stored state: this endpoint keeps none. */
function checkStateless(req: ResponsesDto): void {
  if (req.store === true) throw ResponsesErrors.stateless('store: true');
  if (req.previous_response_id !== undefined) throw ResponsesErrors.stateless('previous_response_id');
  if (req.background === true) throw ResponsesErrors.stateless('background: true');
  if (req.conversation !== undefined) throw ResponsesErrors.stateless('conversation');
  if (req.prompt !== undefined) throw ResponsesErrors.stateless('prompt (a stored prompt template)');
}

/**
 * A Responses request as the chat request the pipeline serves: instructions and input items become
 * messages (function calls and their outputs as tool calls and tool messages), function tools
 * chat tools, `text.format` the response_format, `max_output_tokens` max_tokens; the routing
 * fields go as they came. Pure; throws a 400 for what a stateless gateway cannot serve.
 */
export function responsesToChat(req: ResponsesDto): ChatBody {
  checkStateless(req);
  const body: ChatBody = { messages: messagesOf(req.instructions, req.input) };
  const copied = [
    'model',
    'models',
    'provider',
    'user',
    'stream',
    'temperature',
    'top_p',
    'parallel_tool_calls',
    'metadata',
    'session_id',
    'prompt_cache_key',
    'service_tier',
  ] as const;
  for (const k of copied) if (req[k] !== undefined) (body as unknown as Record<string, unknown>)[k] = req[k];
  if (req.max_output_tokens !== undefined) body.max_tokens = req.max_output_tokens;
  if (req.tools?.length) body.tools = req.tools.map(chatTool);
  if (req.tool_choice !== undefined) body.tool_choice = chatToolChoice(req.tool_choice);
  const format = req.text?.format ? chatResponseFormat(req.text.format) : undefined;
  if (format) body.response_format = format;
  if (req.text?.verbosity != null) body.verbosity = req.text.verbosity;
  const reasoning = req.reasoning ? chatReasoning(req.reasoning) : undefined;
  if (reasoning) body.reasoning = reasoning;
  return body;
}
