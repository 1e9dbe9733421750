import { HttpException } from '@nestjs/common';
import { AppError } from './app-error';
import { DEPENDENCY_RETRY_AFTER_SECONDS, dependencyUnavailable, isDependencyUnavailable } from './dependency-errors';
import { codeForStatus, ErrorCode } from './error-codes';

/**
 * `{"error":{"code":<status>,"message":...,"metadata":{...}}}`: OpenRouter's error shape, with
 * `availability` next to `metadata` when no endpoint could serve the requested models.
 */
export interface ErrorEnvelope {
  error: { code: number; message: string; metadata: Record<string, unknown>; availability?: unknown };
}

export interface NormalisedError {
  status: number;
  code: ErrorCode;
  message: string;
  metadata: Record<string, unknown>;
  headers: Record<string, string>;
  /** Whether this is our fault (log it with its stack) rather than the client's. */
  internal: boolean;
}

interface FrameworkError {
  statusCode?: number;
  code?: string;
  message?: string;
}

/** Errors Fastify raises while reading a request, by their code. */
const FASTIFY_ERRORS: Record<string, { code: ErrorCode; message: (e: FrameworkError) => string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'malformed_json', message: () => 'Request body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: 'malformed_json',
    message: () => 'Request body is empty but Content-Type is application/json',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'unsupported_media_type',
    message: () => 'Unsupported Content-Type: send application/json',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: 'invalid_request',
    message: () => 'Content-Length does not match the body',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'payload_too_large', message: () => 'Request body is too large' },
  FST_ERR_CTP_INVALID_TYPE: { code: 'invalid_request', message: () => 'Invalid Content-Type header' },
};

/** Turns anything thrown into a status, code and client-safe message. */
export function normaliseError(error: unknown): NormalisedError {
  // Nest wraps Fastify's own 4xx errors in an HttpException; judge them by the original.
  if (error instanceof HttpException && error.cause && (error.cause as FrameworkError).code) {
    error = error.cause;
  }
  // Postgres or Redis down, frozen or saturated: a 503 the client may retry, never a bare 500.
  if (!(error instanceof AppError) && !(error instanceof HttpException) && isDependencyUnavailable(error)) {
    error = dependencyUnavailable();
  }
  if (error instanceof AppError) {
    const retryAfter: Record<string, string> =
      error.status === 503 && !error.headers['retry-after'] ? { 'retry-after': String(DEPENDENCY_RETRY_AFTER_SECONDS) } : {};
    return {
      status: error.status,
      code: error.code,
      message: error.message,
      metadata: error.metadata,
      headers: { ...error.headers, ...retryAfter },
      internal: error.status >= 500,
    };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const body = error.getResponse();
    const message =
      typeof body === 'string'
        ? body
        : typeof (body as { message?: unknown }).message === 'string'
          ? (body as { message: string }).message
          : error.message;
    return {
      status,
      code: codeForStatus(status),
      message: status >= 500 ? 'Internal server error' : message,
      metadata: {},
      headers: {},
      internal: status >= 500,
    };
  }
  const fe = (error ?? {}) as FrameworkError;
  const known = fe.code ? FASTIFY_ERRORS[fe.code] : undefined;
  if (known) {
    return {
      status: known.code === 'payload_too_large' ? 413 : 400,
      code: known.code,
      message: known.message(fe),
      metadata: {},
      headers: {},
      internal: false,
    };
  }
  // Other client errors from the HTTP layer (bad headers, aborted bodies) carry a 4xx statusCode.
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return {
      status: fe.statusCode,
      code: codeForStatus(fe.statusCode),
      message: typeof fe.message === 'string' ? fe.message.slice(0, 300) : 'Bad request',
      metadata: {},
      headers: {},
      internal: false,
    };
  }
  return {
    status: 500,
    code: 'server',
    message: 'Internal server error',
    metadata: {},
    headers: {},
    internal: true,
  };
}

/** Errors carry availability details in their metadata (key `availability`); the envelope lifts them out. */
export function toEnvelope(e: NormalisedError): ErrorEnvelope {
  const { availability, ...metadata } = e.metadata;
  const error: ErrorEnvelope['error'] = { code: e.status, message: e.message, metadata: { error_type: e.code, ...metadata } };
  if (availability !== undefined) error.availability = availability;
  return { error };
}
