import { randomBytes } from 'node:crypto';
import { AppError } from '../../common/errors/app-error';
import { effortRatio, resolveReasoning } from '../reasoning';
import { cleanUsage, trimRaw } from '../usage';
import {
  AdapterError,
  ChatMessage,
  ChatRequest,
  ChatResult,
  ChunkDelta,
  ContentPart,
  EmbeddingsRequest,
  EmbeddingsResult,
  FinishReason,
  HttpRequestSpec,
  ProviderAdapter,
  SseEvent,
  StreamTranslator,
  ToolCall,
  ToolChoice,
  UpstreamTarget,
  Usage,
} from '../types';

/** The parts of the Gemini v1beta wire format this adapter reads and writes. */
type GeminiPart =
  | { text: string; thought?: boolean }
  | { inlineData: { mimeType: string; data: string } }
  | { fileData: { mimeType: string; fileUri: string } }
  | { functionCall: { name: string; args: Record<string, unknown> } }
  | { functionResponse: { name: string; response: Record<string, unknown> } };

interface GeminiContent {
  role: 'user' | 'model';
  parts: GeminiPart[];
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Gemini's Schema is an OpenAPI 3.0 subset and rejects any other key with a 400. */
const SCHEMA_KEYS = new Set([
  'type',
  'format',
  'title',
  'description',
  'nullable',
  'enum',
  'maxItems',
  'minItems',
  'properties',
  'required',
  'minProperties',
  'maxProperties',
  'minLength',
  'maxLength',
  'pattern',
  'example',
  'anyOf',
  'propertyOrdering',
  'default',
  'items',
  'minimum',
  'maximum',
]);

/** Formats Gemini accepts per type ("only 'enum' and 'date-time' are supported for STRING type"). */
const FORMATS: Record<string, string[]> = {
  string: ['enum', 'date-time'],
  number: ['float', 'double'],
  integer: ['int32', 'int64'],
};

const MAX_REF_DEPTH = 8;

/**
 * JSON Schema → Gemini Schema: unknown keys dropped (recursively), `type: [x, "null"]` → `nullable`,
 * `oneOf` → `anyOf`, `const` → a one-value enum, local `$ref`s inlined (recursive ones cut off).
 */
export function sanitizeSchema(schema: unknown, root: unknown = schema, depth = 0): Json {
  if (!isObject(schema)) return {};
  let s = schema;
  if (typeof s.$ref === 'string') {
    const target = depth < MAX_REF_DEPTH ? resolveRef(root, s.$ref) : undefined;
    if (!target) return typeof s.description === 'string' ? { description: s.description } : {};
    // Keys beside a $ref (e.g. description) override the referenced schema's.
    const { $ref: _ref, ...siblings } = s;
    s = { ...target, ...siblings };
    depth++;
  }
  const out: Json = {};
  let type = s.type;
  if (Array.isArray(type)) {
    const types = type.filter((t) => t !== 'null');
    if (types.length < type.length) out.nullable = true;
    type = types[0];
  }
  if (typeof type === 'string') out.type = type;
  for (const [key, value] of Object.entries(s)) {
    if (key === 'type') continue;
    if (key === 'properties' && isObject(value)) {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, sanitizeSchema(sub, root, depth)]));
    } else if (key === 'items') {
      // Tuples have no Gemini equivalent: the first item schema stands for all.
      out.items = sanitizeSchema(Array.isArray(value) ? value[0] : value, root, depth);
    } else if ((key === 'anyOf' || key === 'oneOf') && Array.isArray(value)) {
      // Gemini has no null type: `anyOf: [X, {type: null}]` becomes X with nullable.
      const variants = value.map((v) => sanitizeSchema(v, root, depth));
      const nonNull = variants.filter((v) => v.type !== 'null');
      if (nonNull.length < variants.length) out.nullable = true;
      if (nonNull.length === 1) Object.assign(out, { ...nonNull[0], ...out });
      else if (nonNull.length) out.anyOf = nonNull;
    } else if (key === 'const' && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')) {
      out.enum = [String(value)];
      if (!out.type) out.type = 'string';
    } else if (key === 'enum') {
      // Gemini enums are strings only.
      if (Array.isArray(value) && value.every((v) => typeof v === 'string')) out.enum = value;
    } else if (key === 'format') {
      if (typeof value === 'string' && typeof out.type === 'string' && FORMATS[out.type]?.includes(value)) out.format = value;
    } else if (key === 'required') {
      if (Array.isArray(value)) out.required = value.filter((v) => typeof v === 'string');
    } else if (SCHEMA_KEYS.has(key)) {
      out[key] = value;
    }
  }
  // `required` naming a property Gemini no longer sees is a 400 too.
  if (Array.isArray(out.required) && isObject(out.properties)) {
    const props = out.properties;
    out.required = (out.required as string[]).filter((name) => name in props);
  }
  return out;
}

function resolveRef(root: unknown, ref: string): Json | undefined {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node)) return undefined;
    node = node[key];
  }
  return isObject(node) ? node : undefined;
}

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
  const stop = typeof req.stop === 'string' ? [req.stop] : Array.isArray(req.stop) ? req.stop.filter((s) => typeof s === 'string' && s) : [];
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

/** `gemini-2.0-flash` → `models/gemini-2.0-flash`; `tunedModels/x` and `models/x` are kept. */
const modelName = (model: string): string => (model.includes('/') ? model : `models/${model}`);
const modelPath = (model: string): string => modelName(model).split('/').map(encodeURIComponent).join('/');

const FINISH: Record<string, FinishReason> = {
  STOP: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content_filter',
  RECITATION: 'content_filter',
  BLOCKLIST: 'content_filter',
  PROHIBITED_CONTENT: 'content_filter',
  SPII: 'content_filter',
  IMAGE_SAFETY: 'content_filter',
  IMAGE_PROHIBITED_CONTENT: 'content_filter',
  IMAGE_RECITATION: 'content_filter',
  // The model produced an invalid or disallowed tool call: the output is not usable as it stands.
  MALFORMED_FUNCTION_CALL: 'error',
  UNEXPECTED_TOOL_CALL: 'error',
  TOO_MANY_TOOL_CALLS: 'error',
  // OTHER, LANGUAGE, FINISH_REASON_UNSPECIFIED and anything newer: stop (whatever was generated is kept).
};

function finish(raw: unknown, hasToolCalls: boolean): FinishReason | null {
  if (typeof raw !== 'string') return null;
  if (raw === 'STOP' && hasToolCalls) return 'tool_calls';
  return FINISH[raw] ?? 'stop';
}

function usageFrom(raw: unknown): Usage | null {
  if (!isObject(raw)) return null;
  const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return cleanUsage({
    prompt: raw.promptTokenCount,
    completion: num(raw.candidatesTokenCount) + num(raw.thoughtsTokenCount),
    cached: raw.cachedContentTokenCount,
    reasoning: raw.thoughtsTokenCount,
  });
}

const callId = (index: number): string => `call_${index}_${randomBytes(6).toString('hex')}`;

interface CandidateParts {
  text: string;
  reasoning: string;
  calls: { name: string; args: unknown }[];
}

function readParts(candidate: Json | undefined): CandidateParts {
  const out: CandidateParts = { text: '', reasoning: '', calls: [] };
  const content = candidate?.content;
  const parts = isObject(content) && Array.isArray(content.parts) ? content.parts : [];
  for (const p of parts) {
    if (!isObject(p)) continue;
    if (typeof p.text === 'string') {
      if (p.thought === true) out.reasoning += p.text;
      else out.text += p.text;
    } else if (isObject(p.functionCall) && typeof p.functionCall.name === 'string') {
      out.calls.push({ name: p.functionCall.name, args: p.functionCall.args ?? {} });
    }
  }
  return out;
}

function googleError(raw: unknown): { message: string; code?: string } | null {
  const e = Array.isArray(raw) ? (raw[0] as unknown) : raw;
  if (!isObject(e) || !isObject(e.error)) return null;
  const err = e.error;
  const message = typeof err.message === 'string' && err.message ? trimRaw(err.message) : 'upstream error';
  const code = typeof err.status === 'string' ? err.status : err.code != null ? String(err.code) : undefined;
  return { message, ...(code ? { code } : {}) };
}

/** Rough token count for upstreams that report none: one token per four characters. */
export function estimateTokens(texts: string[]): number {
  return texts.reduce((n, t) => n + Math.ceil(t.length / 4), 0);
}

/** OpenAI's base64 embeddings: little-endian float32. */
function toBase64(values: number[]): string {
  const buf = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => buf.writeFloatLE(v, i * 4));
  return buf.toString('base64');
}

/**
 * Google's Generative Language API (v1beta): generateContent, streamGenerateContent with
 * `alt=sse`, batchEmbedContents. The key travels in `x-goog-api-key`, never in the URL (logs).
 */
export class GeminiAdapter implements ProviderAdapter {
  readonly kind = 'gemini' as const;

  chatRequest(req: ChatRequest, target: UpstreamTarget, stream: boolean): HttpRequestSpec {
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
      url: `${this.base(target)}/${modelPath(target.model)}:${method}`,
      headers: this.headers(target, stream),
      body: JSON.stringify(body),
    };
  }

  parseChatResponse(body: unknown): ChatResult {
    if (!isObject(body)) throw new AdapterError('response is not a JSON object');
    const err = googleError(body);
    if (err) throw new AdapterError(`upstream error in a 2xx body: ${err.message}`);
    const candidates = Array.isArray(body.candidates) ? body.candidates : [];
    const usage = usageFrom(body.usageMetadata);
    if (!candidates.length) {
      const block = isObject(body.promptFeedback) ? body.promptFeedback.blockReason : undefined;
      if (typeof block !== 'string') throw new AdapterError('response has no candidates');
      return { message: { role: 'assistant', content: '' }, finishReason: 'content_filter', nativeFinishReason: block, usage };
    }
    const candidate = isObject(candidates[0]) ? candidates[0] : undefined;
    const { text, reasoning, calls } = readParts(candidate);
    const toolCalls: ToolCall[] = calls.map((c, i) => ({
      id: callId(i),
      type: 'function',
      function: { name: c.name, arguments: JSON.stringify(c.args) },
    }));
    const raw = candidate?.finishReason;
    return {
      message: {
        role: 'assistant',
        content: text || (toolCalls.length ? null : ''),
        ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
        ...(reasoning ? { reasoning } : {}),
      },
      finishReason: finish(raw, toolCalls.length > 0),
      nativeFinishReason: typeof raw === 'string' ? raw : null,
      usage,
    };
  }

  streamTranslator(): StreamTranslator {
    let usage: Usage | null = null;
    // Every chunk carries the prompt count; the chunk with the finish reason carries the bill.
    let usageFinal = false;
    let done = false;
    let error: { message: string; code?: string } | null = null;
    let started = false;
    let toolIndex = 0;
    const withRole = (delta: ChunkDelta['delta']): ChunkDelta['delta'] => {
      if (started) return delta;
      started = true;
      return { role: 'assistant', ...delta };
    };
    return {
      push(event: SseEvent): ChunkDelta[] {
        if (event.data === '[DONE]') {
          done = true;
          return [];
        }
        let chunk: unknown;
        try {
          chunk = JSON.parse(event.data);
        } catch {
          throw new AdapterError('stream event is not JSON');
        }
        const err = googleError(chunk);
        if (err) {
          error = err;
          return [];
        }
        if (!isObject(chunk)) throw new AdapterError('stream event is not a JSON object');
        if (chunk.usageMetadata) usage = usageFrom(chunk.usageMetadata) ?? usage;
        if (done) {
          if (chunk.usageMetadata) usageFinal = true;
          return [];
        }
        const out: ChunkDelta[] = [];
        const candidates = Array.isArray(chunk.candidates) ? chunk.candidates : [];
        if (!candidates.length) {
          const block = isObject(chunk.promptFeedback) ? chunk.promptFeedback.blockReason : undefined;
          if (typeof block === 'string') {
            done = true;
            if (chunk.usageMetadata) usageFinal = true;
            out.push({ delta: withRole({}), finishReason: 'content_filter', nativeFinishReason: block });
          }
          return out;
        }
        const candidate = isObject(candidates[0]) ? candidates[0] : undefined;
        const { text, reasoning, calls } = readParts(candidate);
        const delta: ChunkDelta['delta'] = {};
        if (reasoning) delta.reasoning = reasoning;
        if (text) delta.content = text;
        if (calls.length) {
          delta.tool_calls = calls.map((c) => {
            const index = toolIndex++;
            return { index, id: callId(index), type: 'function' as const, function: { name: c.name, arguments: JSON.stringify(c.args) } };
          });
        }
        if (Object.keys(delta).length) out.push({ delta: withRole(delta) });
        const raw = candidate?.finishReason;
        if (typeof raw === 'string') {
          done = true;
          if (chunk.usageMetadata) usageFinal = true;
          out.push({ delta: withRole({}), finishReason: finish(raw, toolIndex > 0), nativeFinishReason: raw });
        }
        return out;
      },
      usage: () => usage,
      usageFinal: () => usageFinal,
      done: () => done,
      error: () => error,
    };
  }

  /** Token-id input has no Gemini equivalent: rejected as the client's error (400), not the upstream's. */
  embeddingsRequest(req: EmbeddingsRequest, target: UpstreamTarget): HttpRequestSpec {
    const texts = this.embeddingTexts(req);
    const body = {
      requests: texts.map((text) => ({
        model: modelName(target.model),
        content: { parts: [{ text }] },
        ...(req.dimensions ? { outputDimensionality: req.dimensions } : {}),
      })),
    };
    return {
      method: 'POST',
      url: `${this.base(target)}/${modelPath(target.model)}:batchEmbedContents`,
      headers: this.headers(target, false),
      body: JSON.stringify(body),
    };
  }

  /**
   * Gemini reports no token counts for embeddings: prompt_tokens is estimated as ceil(chars / 4) per
   * input, which needs the request (`req`); without it the count is 0.
   */
  parseEmbeddingsResponse(body: unknown, req?: EmbeddingsRequest): EmbeddingsResult {
    if (!isObject(body) || !Array.isArray(body.embeddings)) throw new AdapterError('embeddings response has no embeddings');
    const data = body.embeddings.map((e, index) => {
      if (!isObject(e) || !Array.isArray(e.values) || !e.values.every((v) => typeof v === 'number')) {
        throw new AdapterError(`embeddings[${index}] has no values`);
      }
      const values = e.values as number[];
      return { object: 'embedding' as const, index, embedding: req?.encoding_format === 'base64' ? toBase64(values) : values };
    });
    const reported = isObject(body.usageMetadata) ? body.usageMetadata.promptTokenCount : undefined;
    const estimate = req ? estimateTokens(this.embeddingTexts(req)) : 0;
    const prompt = cleanUsage({ prompt: reported ?? estimate, completion: 0 }).prompt_tokens;
    return { data, usage: { prompt_tokens: prompt, total_tokens: prompt } };
  }

  parseError(status: number, body: string): { message: string; code?: string } {
    try {
      const e = googleError(JSON.parse(body));
      if (e) return e;
    } catch {
      // not JSON: fall through to the raw text
    }
    return { message: trimRaw(body) || `HTTP ${status}` };
  }

  private embeddingTexts(req: EmbeddingsRequest): string[] {
    const input = req.input;
    if (typeof input === 'string') return [input];
    if (Array.isArray(input) && input.length && input.every((v) => typeof v === 'string')) return input as string[];
    if (Array.isArray(input) && !input.length) throw new AppError('invalid_request', 'input must not be empty');
    throw new AppError('invalid_request', 'This embeddings provider accepts text input only (a string or an array of strings), not token ids');
  }

  private base(target: UpstreamTarget): string {
    return target.baseUrl.replace(/\/+$/, '');
  }

  private headers(target: UpstreamTarget, stream: boolean): Record<string, string> {
    return {
      'content-type': 'application/json',
      ...(stream ? { accept: 'text/event-stream' } : {}),
      ...(target.apiKey ? { 'x-goog-api-key': target.apiKey } : {}),
    };
  }
}
