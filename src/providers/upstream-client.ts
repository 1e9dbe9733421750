import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Agent, request } from 'undici';
import { AppConfig } from '../common/config/app-config';
import type { HttpRequestSpec } from './types';

export type UpstreamFailure = 'connect' | 'timeout' | 'aborted' | 'protocol';

/** A transport failure before or while talking to an upstream (not an HTTP error status). */
export class UpstreamTransportError extends Error {
  constructor(
    readonly failure: UpstreamFailure,
    message: string,
    /** The socket or undici error code behind it, when there was one (ECONNRESET, ...). */
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = 'UpstreamTransportError';
  }
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as it arrives; must be consumed or destroyed. */
  body: AsyncIterable<Buffer> & { text(): Promise<string>; destroy(err?: Error): void };
}

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

function classify(err: unknown): UpstreamTransportError {
  const e = err as { code?: string; name?: string; message?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code ?? '';
  if (e.name === 'AbortError' || code === 'UND_ERR_ABORTED') return new UpstreamTransportError('aborted', 'request aborted');
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')
    return new UpstreamTransportError('timeout', 'provider did not answer in time', code);
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return new UpstreamTransportError('connect', 'could not connect to the provider in time', code);
  if (CONNECT_CODES.has(code)) return new UpstreamTransportError('connect', `could not reach the provider (${code})`, code);
  return new UpstreamTransportError('protocol', `provider connection failed (${code || e.name || 'error'})`, code || null);
}

/**
 * The one outbound HTTP client for providers: pooled keep-alive connections (undici), connect,
 * first-byte and idle timeouts, no redirects followed, cancellation through an AbortSignal.
 */
@Injectable()
export class UpstreamClient implements OnApplicationShutdown {
  private readonly agent: Agent;

  constructor(config: AppConfig) {
    this.agent = new Agent({
      connect: { timeout: config.upstream.connectTimeoutMs },
      headersTimeout: config.upstream.firstByteTimeoutMs,
      bodyTimeout: config.upstream.idleTimeoutMs,
      keepAliveTimeout: 30_000,
      connections: 512,
    });
  }

  /**
   * One request; `timeouts.firstByteMs` replaces the configured first-byte timeout for this call
   * (a non-streaming answer's, or what is left of the request's time budget).
   */
  async send(spec: HttpRequestSpec, signal: AbortSignal, timeouts: { firstByteMs?: number } = {}): Promise<UpstreamResponse> {
    try {
      const res = await request(spec.url, {
        method: spec.method,
        headers: spec.headers,
        body: spec.body,
        signal,
        dispatcher: this.agent,
        ...(timeouts.firstByteMs !== undefined ? { headersTimeout: Math.max(1, Math.round(timeouts.firstByteMs)) } : {}),
      });
      return { status: res.statusCode, headers: res.headers, body: res.body as unknown as UpstreamResponse['body'] };
    } catch (err) {
      throw classify(err);
    }
  }

  /** Wraps errors raised while reading a body into the same classification. */
  static classify(err: unknown): UpstreamTransportError {
    return err instanceof UpstreamTransportError ? err : classify(err);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.agent.close().catch(() => undefined);
  }
}
