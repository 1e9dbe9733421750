import type { NormalisedError } from '../common/errors/error-envelope';
import type { ChatResult, ChunkDelta } from '../providers/types';
import type { Bill } from './bill';
import type { Exchange } from './exchange';

/** A shaped answer's JSON body. */
export type ShapedJson = Record<string, unknown>;

/** One SSE event: `event: <name>` (when named) and its `data`. */
export interface SseFrame {
  event?: string;
  data: string;
}

/**
 * The answer of a wire API other than chat (Anthropic Messages, ...) built from the pipeline's
 * canonical result: the request is translated to a chat request at the edge and runs the same
 * pipeline; only what is written back differs. One instance per request: it keeps the state of
 * the stream it writes.
 */
export interface ResponseShape {
  /** The body of a non-streaming answer, billed by `ex.bill`. */
  json(ex: Exchange, result: ChatResult): ShapedJson;
  /** The events for deltas read from the upstream (the first call opens the stream). */
  streamDeltas(ex: Exchange, deltas: ChunkDelta[]): SseFrame[];
  /** The events closing a completed stream, with its bill. */
  streamEnd(ex: Exchange, bill: Bill): SseFrame[];
  /** The events for an error once the stream has started. */
  streamError(ex: Exchange, e: NormalisedError, bill: Bill): SseFrame[];
  /** The body of an error answered before anything was streamed. */
  errorBody(e: NormalisedError): unknown;
}
