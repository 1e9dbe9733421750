import { trimRaw } from '../usage';
import type { UpstreamTarget } from '../types';

/** The parts of the Gemini v1beta wire format this adapter reads and writes. */
export type GeminiPart =
  | { text: string; thought?: boolean }
  | { inlineData: { mimeType: string; data: string } }
  | { fileData: { mimeType: string; fileUri: string } }
  | { functionCall: { name: string; args: Record<string, unknown> } }
  | { functionResponse: { name: string; response: Record<string, unknown> } };

export interface GeminiContent {
  role: 'user' | 'model';
  parts: GeminiPart[];
}

export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `gemini-2.0-flash` → `models/gemini-2.0-flash`; `tunedModels/x` and `models/x` are kept. */
export const modelName = (model: string): string => (model.includes('/') ? model : `models/${model}`);
const modelPath = (model: string): string => modelName(model).split('/').map(encodeURIComponent).join('/');

/** An error body (or the first element of an error array) as Google sends it; null when it is none. */
export function googleError(raw: unknown): { message: string; code?: string } | null {
  const e = Array.isArray(raw) ? (raw[0] as unknown) : raw;
  if (!isObject(e) || !isObject(e.error)) return null;
  const err = e.error;
  const message = typeof err.message === 'string' && err.message ? trimRaw(err.message) : 'upstream error';
  const code = typeof err.status === 'string' ? err.status : err.code != null ? String(err.code) : undefined;
  return { message, ...(code ? { code } : {}) };
}

/** The URL of a model method (`generateContent`, `streamGenerateContent?alt=sse`, ...). */
export function methodUrl(target: UpstreamTarget, method: string): string {
  return `${target.baseUrl.replace(/\/+$/, '')}/${modelPath(target.model)}:${method}`;
}

/** The key travels in `x-goog-api-key`, never in the URL (logs). */
export function geminiHeaders(target: UpstreamTarget, stream: boolean): Record<string, string> {
  return {
    'content-type': 'application/json',
    ...(stream ? { accept: 'text/event-stream' } : {}),
    ...(target.apiKey ? { 'x-goog-api-key': target.apiKey } : {}),
  };
}
