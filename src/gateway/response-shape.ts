import type { NormalisedError } from '../common/errors/error-envelope';
import type { ChatResult, ChunkDelta } from '../providers/types';
import type { Bill } from './bill';
import type { Exchange } from './exchange';

/** One server-sent event: its `event:` name (none for data-only streams such as chat's) and its data. */
export interface SseFrame {
  event?: string;
  data: string;
}

/**
 * How one streamed answer is written in a wire API's events. Made once per stream, it may keep
 * state (items opened, a sequence number); it is given what the pipeline read, already stripped
 * of reasoning the client excluded.
 */
export interface StreamShape {
  /** The frames for deltas read from the served endpoint, in order. */
  deltas(ds: ChunkDelta[]): SseFrame[];
  /** The frames that end a stream that completed: the bill as shown and settled. */
  complete(bill: Bill): SseFrame[];
  /** The frames that end a stream that failed once started (no endpoint may have served yet). */
  failed(error: NormalisedError, bill: Bill): SseFrame[];
}

/**
 * A wire API other than chat served by the same pipeline: its request is translated into a chat
 * request at the edge, and the pipeline's result (a ChatResult, or a stream's deltas) is written
 * back in the API's own shape. Given per request, so it can echo the request's own fields.
 */
export interface ResponseShape {
  /** The non-streaming answer; the exchange's bill is computed by then. */
  json(ex: Exchange, result: ChatResult): object;
  /** The writer of one streamed answer. */
  stream(ex: Exchange): StreamShape;
  /**
   * The body of an error answered before anything was streamed, for an API with its own error
   * envelope (Anthropic's); without it, the OpenAI-style envelope every other error gets. Errors
   * answered by the exception filter take their route's envelope (common/errors/error-shape.ts).
   */
  errorBody?(e: NormalisedError): object;
}
