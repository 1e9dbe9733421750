import { ANTHROPIC_REASONING_FORMAT, resolveReasoning } from '../reasoning';
import { cleanUsage, trimRaw } from '../usage';
import {
  AdapterError,
  ChatMessage,
  ChatRequest,
  ChatResult,
  ChunkDelta,
  EmbeddingsRequest,
  EmbeddingsResult,
  FinishReason,
  HttpRequestSpec,
  Logprobs,
  ProviderAdapter,
  SseEvent,
  StreamTranslator,
  ToolCall,
  UpstreamTarget,
  Usage,
} from '../types';

/**
 * Request fields an OpenAI-compatible server may understand; everything else is ours and dropped.
 * Not `metadata`: OpenAI refuses it unless the completion is stored (`store`), which we never ask for.
 */
const PASS_THROUGH = [
  'temperature',
  'top_p',
  'top_k',
  'min_p',
  'top_a',
  'frequency_penalty',
  'presence_penalty',
  'repetition_penalty',
  'seed',
  'stop',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'response_format',
  'logprobs',
  'top_logprobs',
  'logit_bias',
  'user',
  'prediction',
  'service_tier',
  'modalities',
  'audio',
  'verbosity',
  'web_search_options',
  'prompt_cache_key',
] as const;

const FINISH: Record<string, FinishReason> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool_calls',
  function_call: 'tool_calls',
  content_filter: 'content_filter',
  error: 'error',
  end_turn: 'stop',
  eos: 'stop',
  max_tokens: 'length',
};

const finish = (raw: unknown): FinishReason | null => (typeof raw === 'string' ? (FINISH[raw] ?? 'stop') : null);

const serviceTierOf = (raw: unknown): string | null => (typeof raw === 'string' ? raw : null);

const logprobsOf = (raw: unknown): Logprobs | null =>
  typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Logprobs) : null;

function usageFrom(raw: unknown): Usage | null {
  if (!raw || typeof raw !== 'object') return null;
  const u = raw as Record<string, Record<string, unknown> | number | undefined>;
  const pd = (u.prompt_tokens_details ?? {}) as Record<string, unknown>;
  const cd = (u.completion_tokens_details ?? {}) as Record<string, unknown>;
  return cleanUsage({
    prompt: u.prompt_tokens,
    completion: u.completion_tokens,
    cached: pd.cached_tokens,
    cacheWrite: pd.cache_write_tokens,
    reasoning: cd.reasoning_tokens,
  });
}

/**
 * An assistant message without the reasoning details only Anthropic can read (its thinking
 * signatures, sent back by a client that an Anthropic model answered before): strict servers refuse
 * fields they do not know in a message. Other details (an OpenRouter upstream's) pass.
 */
export function withoutAnthropicReasoning(m: ChatMessage): ChatMessage {
  if (!Array.isArray(m.reasoning_details)) return m;
  const kept = (m.reasoning_details as { format?: unknown }[]).filter((d) => d?.format !== ANTHROPIC_REASONING_FORMAT);
  if (kept.length === m.reasoning_details.length) return m;
  const { reasoning_details: _rd, ...rest } = m;
  return kept.length ? { ...rest, reasoning_details: kept } : rest;
}

/** api.openai.com wants max_completion_tokens (its reasoning models reject max_tokens); others take max_tokens. */
function isOpenAiItself(baseUrl: string): boolean {
  try {
    return new URL(baseUrl).hostname === 'api.openai.com';
  } catch {
    return false;
  }
}

/**
 * OpenAI Chat Completions and every server that copies it (Groq, Together, Fireworks, DeepSeek,
 * Mistral, vLLM, Ollama, llama.cpp): almost a pass-through. Usage is always requested on streams.
 */
export class OpenAiAdapter implements ProviderAdapter {
  readonly kind = 'openai' as const;

  chatRequest(req: ChatRequest, target: UpstreamTarget, stream: boolean): HttpRequestSpec {
    const body: Record<string, unknown> = { model: target.model, messages: req.messages.map(withoutAnthropicReasoning) };
    for (const k of PASS_THROUGH) if (req[k] !== undefined) body[k] = req[k];
    body[isOpenAiItself(target.baseUrl) ? 'max_completion_tokens' : 'max_tokens'] = req.max_tokens;
    const effort = resolveReasoning(req).effort;
    if (effort !== undefined) body.reasoning_effort = effort;
    if (stream) {
      body.stream = true;
      body.stream_options = { include_usage: true };
    }
    return {
      method: 'POST',
      url: `${target.baseUrl}/chat/completions`,
      headers: this.headers(target),
      body: JSON.stringify(body),
    };
  }

  parseChatResponse(body: unknown): ChatResult {
    const b = body as {
      choices?: { message?: Record<string, unknown>; finish_reason?: unknown; logprobs?: unknown }[];
      usage?: unknown;
      service_tier?: unknown;
    };
    const choice = Array.isArray(b?.choices) ? b.choices[0] : undefined;
    if (!choice || typeof choice.message !== 'object' || choice.message === null) {
      throw new AdapterError('response has no choices[0].message');
    }
    const m = choice.message;
    const content = typeof m.content === 'string' ? m.content : null;
    const reasoning = typeof m.reasoning === 'string' ? m.reasoning : typeof m.reasoning_content === 'string' ? m.reasoning_content : null;
    const toolCalls = Array.isArray(m.tool_calls) ? (m.tool_calls as ToolCall[]) : undefined;
    return {
      message: {
        role: 'assistant',
        content,
        ...(toolCalls && toolCalls.length ? { tool_calls: toolCalls } : {}),
        ...(reasoning ? { reasoning } : {}),
        ...(typeof m.refusal === 'string' ? { refusal: m.refusal } : {}),
      },
      finishReason: finish(choice.finish_reason),
      nativeFinishReason: typeof choice.finish_reason === 'string' ? choice.finish_reason : null,
      usage: usageFrom(b.usage),
      logprobs: logprobsOf(choice.logprobs),
      serviceTier: serviceTierOf(b.service_tier),
    };
  }

  streamTranslator(): StreamTranslator {
    let usage: Usage | null = null;
    let done = false;
    let error: { message: string; code?: string } | null = null;
    let serviceTier: string | null = null;
    return {
      push(event: SseEvent): ChunkDelta[] {
        if (event.data === '[DONE]') {
          done = true;
          return [];
        }
        let chunk: Record<string, unknown>;
        try {
          chunk = JSON.parse(event.data) as Record<string, unknown>;
        } catch {
          throw new AdapterError('stream event is not JSON');
        }
        if (chunk.error) {
          const e = chunk.error as { message?: unknown; code?: unknown; type?: unknown };
          error = {
            message: typeof e.message === 'string' ? e.message : 'upstream error',
            code: String(e.code ?? e.type ?? '') || undefined,
          };
          return [];
        }
        if (chunk.usage) usage = usageFrom(chunk.usage);
        serviceTier = serviceTierOf(chunk.service_tier) ?? serviceTier;
        const choices = Array.isArray(chunk.choices) ? (chunk.choices as Record<string, unknown>[]) : [];
        const c = choices.find((x) => (x.index ?? 0) === 0);
        if (!c) return [];
        const d = (c.delta ?? {}) as Record<string, unknown>;
        const delta: ChunkDelta['delta'] = {};
        if (d.role === 'assistant') delta.role = 'assistant';
        if (typeof d.content === 'string' && d.content !== '') delta.content = d.content;
        const reasoning =
          typeof d.reasoning === 'string' ? d.reasoning : typeof d.reasoning_content === 'string' ? d.reasoning_content : '';
        if (reasoning) delta.reasoning = reasoning;
        if (typeof d.refusal === 'string' && d.refusal) delta.refusal = d.refusal;
        if (Array.isArray(d.tool_calls) && d.tool_calls.length) delta.tool_calls = d.tool_calls as ChunkDelta['delta']['tool_calls'];
        const fr = finish(c.finish_reason);
        const logprobs = logprobsOf(c.logprobs);
        if (!Object.keys(delta).length && !fr && !logprobs) return [];
        return [{ delta, finishReason: fr, nativeFinishReason: typeof c.finish_reason === 'string' ? c.finish_reason : null, logprobs }];
      },
      usage: () => usage,
      done: () => done,
      error: () => error,
      serviceTier: () => serviceTier,
    };
  }

  embeddingsRequest(req: EmbeddingsRequest, target: UpstreamTarget): HttpRequestSpec {
    const body: Record<string, unknown> = { model: target.model, input: req.input };
    if (req.encoding_format) body.encoding_format = req.encoding_format;
    if (req.dimensions) body.dimensions = req.dimensions;
    if (req.user) body.user = req.user;
    return { method: 'POST', url: `${target.baseUrl}/embeddings`, headers: this.headers(target), body: JSON.stringify(body) };
  }

  parseEmbeddingsResponse(body: unknown): EmbeddingsResult {
    const b = body as { data?: { embedding?: unknown; index?: unknown }[]; usage?: { prompt_tokens?: unknown } };
    if (!Array.isArray(b?.data)) throw new AdapterError('embeddings response has no data');
    const prompt = cleanUsage({ prompt: b.usage?.prompt_tokens, completion: 0 }).prompt_tokens;
    return {
      data: b.data.map((d, i) => ({
        object: 'embedding' as const,
        index: typeof d.index === 'number' ? d.index : i,
        embedding: (Array.isArray(d.embedding) || typeof d.embedding === 'string' ? d.embedding : []) as number[] | string,
      })),
      usage: { prompt_tokens: prompt, total_tokens: prompt },
    };
  }

  parseError(status: number, body: string): { message: string; code?: string } {
    try {
      const parsed = JSON.parse(body) as { error?: { message?: unknown; code?: unknown; type?: unknown } | string; message?: unknown };
      const e = parsed.error;
      if (typeof e === 'string') return { message: trimRaw(e) };
      if (e && typeof e.message === 'string')
        return { message: trimRaw(e.message), code: e.code != null ? String(e.code) : e.type != null ? String(e.type) : undefined };
      if (typeof parsed.message === 'string') return { message: trimRaw(parsed.message) };
    } catch {
      // not JSON: fall through to the raw text
    }
    return { message: trimRaw(body) || `HTTP ${status}` };
  }

  private headers(target: UpstreamTarget): Record<string, string> {
    return { 'content-type': 'application/json', ...(target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {}) };
  }
}
