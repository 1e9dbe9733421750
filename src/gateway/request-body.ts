// What the pipeline reads off a request body before admission: its models, the chat upstreams get, an embeddings input's size.
import type { ChatRequest } from '../providers/types';
import { ChatCompletionDto } from './dto/chat-completion.dto';
import { GatewayErrors } from './gateway.errors';
import { upstreamUser } from './upstream-user';

/** The request's models: `model`, then the `models` fallbacks. */
export function modelsOf(body: { model?: unknown; models?: unknown[] }): string[] {
  const models = [body.model, ...(body.models ?? [])].filter((m): m is string => typeof m === 'string' && m.length > 0);
  if (models.length === 0) throw GatewayErrors.modelRequired();
  return models;
}

/** The chat request upstreams get: the routing fields and our own options are not for them. */
export function upstreamChat(body: ChatCompletionDto, accountId: string): Omit<ChatRequest, 'max_tokens'> {
  const {
    model: _m,
    models: _ms,
    provider: _p,
    stream: _s,
    stream_options: _so,
    max_tokens: _mt,
    max_completion_tokens: _mct,
    session_id: _sid,
    n: _n,
    plugins: _pl,
    user,
    ...rest
  } = body as ChatCompletionDto & Record<string, unknown>;
  return (user ? { ...rest, user: upstreamUser(accountId, user) } : rest) as Omit<ChatRequest, 'max_tokens'>;
}

/** An embeddings input's tokens, estimated high: a string by its bytes, a token array by its length. */
export const embeddingTokens = (input: unknown): number =>
  (typeof input === 'string' ? [input] : (input as unknown[])).reduce<number>(
    (n, x) => n + (typeof x === 'string' ? Math.ceil(Buffer.byteLength(x) / 3) + 1 : Array.isArray(x) ? x.length : 1),
    0,
  );
