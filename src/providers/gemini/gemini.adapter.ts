import { trimRaw } from '../usage';
import type {
  ChatRequest,
  ChatResult,
  EmbeddingsRequest,
  EmbeddingsResult,
  HttpRequestSpec,
  ProviderAdapter,
  StreamTranslator,
  UpstreamTarget,
} from '../types';
import { googleError } from './gemini-wire';
import { geminiEmbeddingsRequest, parseGeminiEmbeddingsResponse } from './gemini.embeddings';
import { geminiChatRequest } from './gemini.request';
import { parseGeminiChatResponse } from './gemini.response';
import { geminiStreamTranslator } from './gemini.stream';

/**
 * Google's Generative Language API (v1beta): generateContent, streamGenerateContent with
 * `alt=sse`, batchEmbedContents. The key travels in `x-goog-api-key`, never in the URL (logs).
 * Each direction has its file: gemini.request.ts (messages, tools, generation config),
 * gemini-schema.ts (JSON Schema to Gemini's Schema), gemini.response.ts, gemini.stream.ts and
 * gemini.embeddings.ts; gemini-wire.ts holds what they share.
 */
export class GeminiAdapter implements ProviderAdapter {
  readonly kind = 'gemini' as const;

  chatRequest(req: ChatRequest, target: UpstreamTarget, stream: boolean): HttpRequestSpec {
    return geminiChatRequest(req, target, stream);
  }

  parseChatResponse(body: unknown): ChatResult {
    return parseGeminiChatResponse(body);
  }

  streamTranslator(): StreamTranslator {
    return geminiStreamTranslator();
  }

  embeddingsRequest(req: EmbeddingsRequest, target: UpstreamTarget): HttpRequestSpec {
    return geminiEmbeddingsRequest(req, target);
  }

  parseEmbeddingsResponse(body: unknown, req?: EmbeddingsRequest): EmbeddingsResult {
    return parseGeminiEmbeddingsResponse(body, req);
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
}
