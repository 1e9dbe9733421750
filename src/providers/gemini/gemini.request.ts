import { effortRatio, resolveReasoning } from '../reasoning';
import { ChatMessage, ChatRequest, ContentPart, HttpRequestSpec, ToolChoice, UpstreamTarget } from '../types';
import { sanitizeSchema } from './gemini-schema';
import { GeminiContent, GeminiPart, geminiHeaders, isObject, Json, methodUrl } from './gemini-wire';

const MIME_BY_EXT: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  heic: 'image/heic',
  heif: 'image/heif',
  pdf: 'application/pdf',
};

function guessMime(url: string): string {
  let path = url;
  try {
    path = new URL(url).pathname;
  } catch {
    // not a URL we can parse: use it as it is
  }
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  return (ext && MIME_BY_EXT[ext]) || 'image/jpeg';
}

function percentDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** `data:[mime][;params][;base64],payload` → inline base64 data; anything else → a file URI. */
function mediaPart(url: string, fallbackMime: string): GeminiPart {
  if (url.startsWith('data:')) {
    const comma = url.indexOf(',');
    const header = comma < 0 ? url.slice(5) : url.slice(5, comma);
    const payload = comma < 0 ? '' : url.slice(comma + 1);
    const params = header.split(';');
    const mimeType = params[0] || fallbackMime;
    const base64 = params.slice(1).some((p) => p.toLowerCase() === 'base64');
    const data = base64 ? payload : Buffer.from(percentDecode(payload), 'utf8').toString('base64');
    return { inlineData: { mimeType, data } };
  }
  return { fileData: { mimeType: guessMime(url), fileUri: url } };
}

function textOf(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter((p): p is { type: 'text'; text: string } => p.type === 'text' && typeof p.text === 'string')
    .map((p) => p.text)
    .join('');
}

function contentParts(content: ChatMessage['content']): GeminiPart[] {
  if (typeof content === 'string') return content ? [{ text: content }] : [];
  if (!Array.isArray(content)) return [];
  const parts: GeminiPart[] = [];
  for (const p of content as ContentPart[]) {
    if (p.type === 'text' && typeof p.text === 'string') {
      if (p.text) parts.push({ text: p.text });
    } else if (p.type === 'image_url') {
      const iu = p.image_url as { url?: unknown } | string | undefined;
      const url = typeof iu === 'string' ? iu : iu?.url;
      if (typeof url === 'string' && url) parts.push(mediaPart(url, 'image/jpeg'));
    } else if (p.type === 'input_audio' && isObject(p.input_audio) && typeof p.input_audio.data === 'string') {
      const format = typeof p.input_audio.format === 'string' ? p.input_audio.format : 'wav';
      parts.push({ inlineData: { mimeType: `audio/${format === 'mp3' ? 'mpeg' : format}`, data: p.input_audio.data } });
    } else if (p.type === 'file' && isObject(p.file) && typeof p.file.file_data === 'string') {
      parts.push(mediaPart(p.file.file_data, 'application/pdf'));
    }
    // Other part types have no Gemini equivalent and are dropped.
  }
  return parts;
}

function parseArgs(raw: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(raw);
    return isObject(v) ? v : {};
  } catch {
    // Unparsable arguments from an earlier turn: Gemini needs an object, so send an empty one.
    return {};
  }
}

function toolResponse(content: ChatMessage['content']): Record<string, unknown> {
  const text = textOf(content);
  try {
    return { content: JSON.parse(text) as unknown };
  } catch {
    return { content: { result: text } };
  }
}

function translateMessages(messages: ChatMessage[]): { system: string[]; contents: GeminiContent[] } {
  const system: string[] = [];
  const contents: GeminiContent[] = [];
  const toolNames = new Map<string, string>();
  const add = (role: GeminiContent['role'], parts: GeminiPart[]): void => {
    if (!parts.length) return;
    const last = contents[contents.length - 1];
    if (last && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };
  for (const m of messages) {
    switch (m.role) {
      case 'system':
      case 'developer': {
        const text = textOf(m.content);
        if (text) system.push(text);
        break;
      }
      case 'user':
        add('user', contentParts(m.content));
        break;
      case 'assistant': {
        const parts = contentParts(m.content);
        for (const call of m.tool_calls ?? []) {
          toolNames.set(call.id, call.function.name);
          parts.push({ functionCall: { name: call.function.name, args: parseArgs(call.function.arguments) } });
        }
        add('model', parts);
        break;
      }
      case 'tool': {
        // Gemini matches responses by function name; an unknown id falls back to the message's name.
        const name = (m.tool_call_id && toolNames.get(m.tool_call_id)) || m.name || m.tool_call_id || 'tool';
        add('user', [{ functionResponse: { name, response: toolResponse(m.content) } }]);
        break;
      }
    }
  }
  return { system, contents };
}

function toolConfig(choice: ToolChoice): Json {
  if (choice === 'none') return { functionCallingConfig: { mode: 'NONE' } };
  if (choice === 'required') return { functionCallingConfig: { mode: 'ANY' } };
  if (typeof choice === 'object' && choice.function?.name) {
    return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.function.name] } };
  }
  return { functionCallingConfig: { mode: 'AUTO' } };
}

/** Gemini 2.5's thinking budget range. */
const MIN_THINKING_BUDGET = 1024;
const MAX_THINKING_BUDGET = 24576;

function thinkingConfig(req: ChatRequest): Json | undefined {
  const r = resolveReasoning(req);
  if (r.enabled === false) return { thinkingBudget: 0 };
  // Not asked for: the model's default, which returns no thoughts.
  if (!r.enabled) return undefined;
  const budget =
    r.maxTokens !== undefined
      ? Math.max(0, Math.floor(r.maxTokens))
      : Math.min(MAX_THINKING_BUDGET, Math.max(MIN_THINKING_BUDGET, Math.floor(req.max_tokens * effortRatio(r.effort))));
  // `exclude`: the model still thinks, Gemini just does not send the thoughts.
  return { thinkingBudget: budget, includeThoughts: !r.exclude };
}

function generationConfig(req: ChatRequest): Json {
  const g: Json = { candidateCount: 1, maxOutputTokens: req.max_tokens };
  if (req.temperature !== undefined) g.temperature = req.temperature;
  if (req.top_p !== undefined) g.topP = req.top_p;
  if (req.top_k !== undefined) g.topK = req.top_k;
  if (req.seed !== undefined) g.seed = req.seed;
  if (req.presence_penalty !== undefined) g.presencePenalty = req.presence_penalty;
  if (req.frequency_penalty !== undefined) g.frequencyPenalty = req.frequency_penalty;
  const stop =
    typeof req.stop === 'string' ? [req.stop] : Array.isArray(req.stop) ? req.stop.filter((s) => typeof s === 'string' && s) : [];
  if (stop.length) g.stopSequences = stop;
  const rf = req.response_format;
  if (rf?.type === 'json_object') g.responseMimeType = 'application/json';
  else if (rf?.type === 'json_schema') {
    g.responseMimeType = 'application/json';
    if (isObject(rf.json_schema?.schema)) g.responseSchema = sanitizeSchema(rf.json_schema.schema);
  }
  const thinking = thinkingConfig(req);
  if (thinking) g.thinkingConfig = thinking;
  return g;
}

/** A chat request as Gemini's generateContent (or streamGenerateContent with `alt=sse`). */
export function geminiChatRequest(req: ChatRequest, target: UpstreamTarget, stream: boolean): HttpRequestSpec {
  const { system, contents } = translateMessages(req.messages);
  const body: Json = { contents };
  if (system.length) body.systemInstruction = { parts: system.map((text) => ({ text })) };
  const tools = (req.tools ?? []).filter((t) => t?.type === 'function' && t.function?.name);
  if (tools.length) {
    body.tools = [
      {
        functionDeclarations: tools.map((t) => {
          const decl: Json = { name: t.function.name };
          if (t.function.description) decl.description = t.function.description;
          const params = t.function.parameters ? sanitizeSchema(t.function.parameters) : undefined;
          // An object schema without properties is rejected: a parameterless function omits it.
          if (params && isObject(params.properties) && Object.keys(params.properties).length) decl.parameters = params;
          return decl;
        }),
      },
    ];
    if (req.tool_choice !== undefined) body.toolConfig = toolConfig(req.tool_choice);
  }
  body.generationConfig = generationConfig(req);
  const method = stream ? 'streamGenerateContent?alt=sse' : 'generateContent';
  return {
    method: 'POST',
    url: methodUrl(target, method),
    headers: geminiHeaders(target, stream),
    body: JSON.stringify(body),
  };
}
