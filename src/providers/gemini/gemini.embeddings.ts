import { AppError } from '../../common/errors/app-error';
import { cleanUsage } from '../usage';
import { AdapterError, EmbeddingsRequest, EmbeddingsResult, HttpRequestSpec, UpstreamTarget } from '../types';
import { geminiHeaders, isObject, methodUrl, modelName } from './gemini-wire';

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

function embeddingTexts(req: EmbeddingsRequest): string[] {
  const input = req.input;
  if (typeof input === 'string') return [input];
  if (Array.isArray(input) && input.length && input.every((v) => typeof v === 'string')) return input as string[];
  if (Array.isArray(input) && !input.length) throw new AppError('invalid_request', 'input must not be empty');
  throw new AppError(
    'invalid_request',
    'This embeddings provider accepts text input only (a string or an array of strings), not token ids',
  );
}

/** Token-id input has no Gemini equivalent: rejected as the client's error (400), not the upstream's. */
export function geminiEmbeddingsRequest(req: EmbeddingsRequest, target: UpstreamTarget): HttpRequestSpec {
  const texts = embeddingTexts(req);
  const body = {
    requests: texts.map((text) => ({
      model: modelName(target.model),
      content: { parts: [{ text }] },
      ...(req.dimensions ? { outputDimensionality: req.dimensions } : {}),
    })),
  };
  return {
    method: 'POST',
    url: methodUrl(target, 'batchEmbedContents'),
    headers: geminiHeaders(target, false),
    body: JSON.stringify(body),
  };
}

/**
 * Gemini reports no token counts for embeddings: prompt_tokens is estimated as ceil(chars / 4) per
 * input, which needs the request (`req`); without it the count is 0.
 */
export function parseGeminiEmbeddingsResponse(body: unknown, req?: EmbeddingsRequest): EmbeddingsResult {
  if (!isObject(body) || !Array.isArray(body.embeddings)) throw new AdapterError('embeddings response has no embeddings');
  const data = body.embeddings.map((e, index) => {
    if (!isObject(e) || !Array.isArray(e.values) || !e.values.every((v) => typeof v === 'number')) {
      throw new AdapterError(`embeddings[${index}] has no values`);
    }
    const values = e.values as number[];
    return { object: 'embedding' as const, index, embedding: req?.encoding_format === 'base64' ? toBase64(values) : values };
  });
  const reported = isObject(body.usageMetadata) ? body.usageMetadata.promptTokenCount : undefined;
  const estimate = req ? estimateTokens(embeddingTexts(req)) : 0;
  const prompt = cleanUsage({ prompt: reported ?? estimate, completion: 0 }).prompt_tokens;
  return { data, usage: { prompt_tokens: prompt, total_tokens: prompt } };
}
