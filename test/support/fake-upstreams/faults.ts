import type http from 'node:http';
import { FakeUpstream, sleep, startJsonServer } from './common';

/**
 * A provider fault, as the failover tests inject it in front of a fake upstream:
 * - `status`: that HTTP error (with `Retry-After` if given, and an OpenAI-style error body unless `body` is given);
 * - `reset`: the connection is reset (TCP RST) after the request is read, before any response header;
 * - `hang`: nothing is ever answered (the connection stays open until the caller gives up);
 * - `firstTokenAfterMs`: a stream's headers at once, the provider's answer (its first token) only
 *   after that long; a non-streaming answer after that long.
 */
export type Fault =
  { status: number; retryAfter?: string; body?: unknown } | { reset: true } | { hang: true } | { firstTokenAfterMs: number };

export const FAULTS = {
  /** OpenAI's answer to a prompt longer than the model's context. */
  contextLengthExceeded: (): Fault => ({
    status: 400,
    body: {
      error: {
        message:
          "This model's maximum context length is 2000 tokens. However, your messages resulted in 6000 tokens. Please reduce the length of the messages.",
        type: 'invalid_request_error',
        param: 'messages',
        code: 'context_length_exceeded',
      },
    },
  }),
  /** Azure OpenAI's content filter refusing a prompt. */
  contentFilter: (): Fault => ({
    status: 400,
    body: {
      error: {
        message:
          "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry.",
        type: null,
        param: 'prompt',
        code: 'content_filter',
        status: 400,
      },
    },
  }),
};

export interface FaultHit {
  at: number;
  model: string;
  fault: Fault | null;
}

export interface FaultProxy extends FakeUpstream {
  /** Faults for the next requests, one each, in order; then `rules` and `always` apply. */
  next(...faults: Fault[]): void;
  /** A fault for every request for an upstream model. */
  rules: Map<string, Fault>;
  /** A fault for every other request (null: none). */
  always: Fault | null;
  /** Every request that arrived: when, for which upstream model, and the fault it got. */
  hits: FaultHit[];
  /** Back to no faults and no hits. */
  reset(): void;
}

function writeError(res: http.ServerResponse, fault: { status: number; retryAfter?: string; body?: unknown }): void {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
  res.writeHead(fault.status, headers);
  res.end(
    JSON.stringify(
      fault.body ?? { error: { message: `injected failure ${fault.status}`, type: 'server_error', code: String(fault.status) } },
    ),
  );
}

/**
 * An HTTP proxy in front of a fake upstream that injects provider faults (see Fault) and otherwise
 * forwards each request as it is, streaming the answer back.
 */
export async function startFaultProxy(target: FakeUpstream): Promise<FaultProxy> {
  const queue: Fault[] = [];
  const origin = new URL(target.url).origin;
  const state = { always: null as Fault | null, rules: new Map<string, Fault>(), hits: [] as FaultHit[] };

  const forward = async (req: http.IncomingMessage, res: http.ServerResponse, body: unknown, headersSent: boolean) => {
    const upstream = await fetch(`${origin}${req.url ?? ''}`, {
      method: req.method,
      headers: { 'content-type': 'application/json', authorization: String(req.headers.authorization ?? '') },
      body: JSON.stringify(body),
    });
    if (!headersSent) res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
    for await (const chunk of upstream.body as unknown as AsyncIterable<Uint8Array>) {
      if (res.destroyed) return;
      res.write(chunk);
    }
    res.end();
  };

  const server = await startJsonServer('/v1', async (req, res, body) => {
    const model = typeof body?.model === 'string' ? body.model : '';
    const fault = queue.shift() ?? state.rules.get(model) ?? state.always;
    state.hits.push({ at: Date.now(), model, fault });
    if (!fault) return forward(req, res, body, false);
    if ('status' in fault) return writeError(res, fault);
    if ('reset' in fault) {
      req.socket.resetAndDestroy();
      return;
    }
    if ('hang' in fault) return; // the proxy's close() destroys the socket
    if (body?.stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.flushHeaders();
      await sleep(fault.firstTokenAfterMs);
      if (res.destroyed) return;
      return forward(req, res, body, true);
    }
    await sleep(fault.firstTokenAfterMs);
    if (res.destroyed) return;
    return forward(req, res, body, false);
  });

  const proxy: FaultProxy = {
    url: server.url,
    seen: server.seen,
    close: server.close,
    next: (...faults: Fault[]) => void queue.push(...faults),
    rules: state.rules,
    hits: state.hits,
    get always() {
      return state.always;
    },
    set always(f: Fault | null) {
      state.always = f;
    },
    reset: () => {
      queue.length = 0;
      state.rules.clear();
      state.always = null;
      state.hits.length = 0;
    },
  };
  return proxy;
}
