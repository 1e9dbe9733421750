/**
 * A fake Anthropic Messages API (`POST /v1/messages`) on a real loopback HTTP server, for e2e tests.
 * Deterministic; scripted through the requested `model` name (checked in this order):
 *
 * - `fail-<status>` (e.g. `claude-fail-529`): that HTTP status at once, with an Anthropic error body
 *   (429 also sends `retry-after: 1`).
 * - `slow-<ms>`: waits that long before sending headers (combines with the rest).
 * - `cut`: streams message_start and two text deltas, then destroys the socket (no message_stop);
 *   not streaming: half a JSON body, then the socket is destroyed.
 * - `stream-error`: streams one text delta, then an `error` event (overloaded_error), no message_stop.
 * - `ends-early`: streams message_start and every text delta, then ends the body cleanly, with
 *   no message_delta (stop reason, billed usage) and no message_stop.
 * - `overloaded-first`: streams message_start, then an `error` event (overloaded_error) before any
 *   content block.
 * - `long`: 200 text deltas (`w0 `, `w1 `, ...) 5 ms apart; stops early when the client goes away.
 * - `story`: STORY (fake-upstreams/story.ts), a token a delta; a trailing assistant turn (a
 *   prefill) is continued: it must be a prefix of STORY and, as Anthropic requires, not end in
 *   whitespace (400 otherwise), and the rest of STORY after it is streamed.
 * Otherwise, by the request:
 * - with `tools`: one tool_use block calling the first tool with input {"location":"Paris"}
 *   (stop_reason tool_use; streamed as input_json_delta fragments '', '{"location":', '"Paris"}').
 * - system prompt containing "JSON": text `{"ok":true}` (chunks '{"ok":', 'true}').
 * - default: text `Hello from fake-anthropic` (chunks 'Hello', ' from', ' fake-anthropic', 3 ms apart).
 * - with `thinking` enabled: a thinking block `Let me think it over.` (chunks 'Let me think',
 *   ' it over.', then a signature) before the text or tool block. Claude 4 models
 *   (`claude-sonnet-4…`, `claude-opus-4…`) send that as the summary of a longer thinking, as
 *   Anthropic's do, and bill `thinking.hiddenTokens` more output tokens (default 512, within the
 *   budget) for it; their message_delta (stop reason and the billed usage) comes
 *   `thinking.usageDelayMs` (default 300) after the answer. `hidden-<n>` and `usage-delay-<ms>` in
 *   a model name do the same for any model with thinking.
 *
 * Usage: input_tokens = fakeInputTokens(body) (see below); output_tokens = number of non-empty
 * chunks sent, thinking included. A request with a `cache_control` (top level, or on a system,
 * message or tool block) writes its whole input to the cache: cache_creation_input_tokens, split in
 * `cache_creation` by the first cache_control's ttl (`1h`, else 5 minutes), and input_tokens 0. Text replies are cut at `max_tokens` chunks (stop_reason max_tokens).
 * Every request is recorded in `seen` (`aborted`: the client left before the response ended).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import type { FakeThinkingUpstream, HiddenThinking, SeenRequest } from './common';
import { chunksAfter, STORY } from './story';

export type { FakeUpstream, SeenRequest } from './common';

export const FAKE_ANTHROPIC_TEXT = 'Hello from fake-anthropic';
export const FAKE_ANTHROPIC_TOOL_INPUT = { location: 'Paris' };
export const FAKE_ANTHROPIC_THINKING = ['Let me think', ' it over.'];
export const LONG_CHUNKS = 200;
const CHUNK_DELAY_MS = 3;
const LONG_DELAY_MS = 5;

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

/**
 * The fake's input_tokens: ceil(characters / 4) over every text the request carries: the system
 * prompt (string or text blocks), string message content, text blocks, tool_result content (string
 * or text blocks) and tool_use inputs as JSON.
 */
/** The ttl of the request's first cache_control (`5m` when it names none), or null without one. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function cacheTtl(body: any): string | null {
  const blocks = [
    body,
    ...(Array.isArray(body.system) ? body.system : []),
    ...(body.tools ?? []),
    ...(body.messages ?? []).flatMap((m: { content: unknown }) => (Array.isArray(m.content) ? m.content : [])),
  ];
  const marked = blocks.find((b) => b && typeof b === 'object' && b.cache_control);
  return marked ? (marked.cache_control.ttl ?? '5m') : null;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function fakeInputTokens(body: any): number {
  let chars = 0;
  const textOf = (content: unknown): void => {
    if (typeof content === 'string') {
      chars += content.length;
      return;
    }
    if (!Array.isArray(content)) return;
    for (const b of content as Record<string, unknown>[]) {
      if (b.type === 'text' && typeof b.text === 'string') chars += b.text.length;
      else if (b.type === 'tool_use') chars += JSON.stringify(b.input ?? {}).length;
      else if (b.type === 'tool_result') textOf(b.content);
    }
  };
  textOf(body?.system);
  for (const m of Array.isArray(body?.messages) ? body.messages : []) textOf(m?.content);
  return Math.ceil(chars / 4);
}

function errorBody(type: string, message: string): string {
  return JSON.stringify({ type: 'error', error: { type, message } });
}

function systemText(system: unknown): string {
  if (typeof system === 'string') return system;
  if (Array.isArray(system)) return system.map((b: { text?: unknown }) => (typeof b.text === 'string' ? b.text : '')).join('\n');
  return '';
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function startFakeAnthropic(): Promise<FakeThinkingUpstream> {
  const seen: SeenRequest[] = [];
  const thinkingKnobs: HiddenThinking = { hiddenTokens: 512, usageDelayMs: 300 };
  let counter = 0;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void handle(req, res, Buffer.concat(chunks).toString('utf8')).catch(() => res.destroy());
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string): Promise<void> {
    const sendError = (status: number, type: string, message: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(errorBody(type, message));
    };
    const path = (req.url ?? '').split('?')[0];
    let body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = raw;
    }
    const entry: SeenRequest = { path, headers: { ...req.headers }, body, aborted: false };
    seen.push(entry);

    if (req.method !== 'POST' || path !== '/v1/messages') return sendError(404, 'not_found_error', 'Not found');
    if (!req.headers['x-api-key']) return sendError(401, 'authentication_error', 'x-api-key header is required');
    if (typeof body !== 'object' || body === null || typeof body.model !== 'string' || !Array.isArray(body.messages)) {
      return sendError(400, 'invalid_request_error', 'model and messages are required');
    }

    // The client going away before we finish: stop writing and record it.
    let finished = false;
    let selfCut = false;
    res.on('close', () => {
      if (!finished && !selfCut) entry.aborted = true;
    });
    const gone = () => entry.aborted || res.destroyed;

    const model: string = body.model;
    const fail = /fail-(\d{3})/.exec(model);
    if (fail) {
      const status = Number(fail[1]);
      finished = true;
      const type = ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
      return sendError(status, type, `Scripted failure ${status}`, status === 429 ? { 'retry-after': '1' } : {});
    }
    const slow = /slow-(\d+)/.exec(model);
    if (slow) {
      await sleep(Number(slow[1]));
      if (gone()) return;
    }

    const stream = body.stream === true;
    const id = `msg_fake_${++counter}`;
    const inputTokens = fakeInputTokens(body);
    const maxTokens = typeof body.max_tokens === 'number' ? body.max_tokens : Infinity;

    // What to answer.
    let kind: 'text' | 'tool' = 'text';
    let textChunks: string[];
    let delayMs = CHUNK_DELAY_MS;
    const tool = Array.isArray(body.tools) && body.tools.length ? (body.tools[0] as { name: string }) : null;
    if (model.includes('story')) {
      const turns = body.messages as { role: string; content: unknown }[];
      const last = turns[turns.length - 1];
      let prefill = '';
      if (last?.role === 'assistant') {
        const blocks =
          typeof last.content === 'string' ? [{ type: 'text', text: last.content }] : (last.content as { type: string; text?: string }[]);
        prefill = blocks.map((b) => b.text ?? '').join('');
        if (prefill !== prefill.trimEnd())
          return sendError(400, 'invalid_request_error', 'messages: final assistant content cannot end with trailing whitespace');
        if (!STORY.startsWith(prefill)) return sendError(400, 'invalid_request_error', 'prefill is not a prefix of the story');
      }
      textChunks = chunksAfter(prefill);
      delayMs = 1;
    } else if (model.includes('long')) {
      textChunks = Array.from({ length: LONG_CHUNKS }, (_, i) => `w${i} `);
      delayMs = LONG_DELAY_MS;
    } else if (tool && !model.includes('cut') && !model.includes('stream-error')) {
      kind = 'tool';
      textChunks = [];
    } else if (systemText(body.system).includes('JSON')) {
      textChunks = ['{"ok":', 'true}'];
    } else {
      textChunks = ['Hello', ' from', ' fake-anthropic'];
    }
    let stopReason = kind === 'tool' ? 'tool_use' : 'end_turn';
    if (kind === 'text' && textChunks.length > maxTokens) {
      textChunks = textChunks.slice(0, maxTokens);
      stopReason = 'max_tokens';
    }
    const jsonFragments = ['', '{"location":', '"Paris"}'];
    const toolId = `toolu_fake_${counter}`;
    const thinking = body.thinking?.type === 'enabled' ? FAKE_ANTHROPIC_THINKING : [];
    // Claude 4 streams a summary of its thinking and bills the whole of it.
    const summarized = thinking.length > 0 && /^claude-(sonnet|opus)-4/.test(model);
    const hiddenKnob = /hidden-(\d+)/.exec(model);
    const budget = Number(body.thinking?.budget_tokens ?? Infinity);
    const hidden = thinking.length
      ? Math.max(0, Math.min(hiddenKnob ? Number(hiddenKnob[1]) : summarized ? thinkingKnobs.hiddenTokens : 0, budget - thinking.length))
      : 0;
    const usageDelay = Number(/usage-delay-(\d+)/.exec(model)?.[1] ?? (summarized ? thinkingKnobs.usageDelayMs : 0));
    const outputTokens = thinking.length + hidden + (kind === 'tool' ? jsonFragments.filter(Boolean).length : textChunks.length);
    const ttl = cacheTtl(body);
    const usageStart = ttl
      ? {
          input_tokens: 0,
          cache_creation_input_tokens: inputTokens,
          cache_creation: {
            ephemeral_5m_input_tokens: ttl === '1h' ? 0 : inputTokens,
            ephemeral_1h_input_tokens: ttl === '1h' ? inputTokens : 0,
          },
          cache_read_input_tokens: 0,
          output_tokens: 1,
        }
      : { input_tokens: inputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1 };

    if (!stream) {
      if (model.includes('long')) {
        await sleep(LONG_CHUNKS * LONG_DELAY_MS);
        if (gone()) return;
      }
      const content = [
        ...(thinking.length ? [{ type: 'thinking', thinking: thinking.join(''), signature: 'fake-signature' }] : []),
        kind === 'tool'
          ? { type: 'tool_use', id: toolId, name: tool!.name, input: FAKE_ANTHROPIC_TOOL_INPUT }
          : { type: 'text', text: textChunks.join('') },
      ];
      const message = JSON.stringify({
        id,
        type: 'message',
        role: 'assistant',
        model,
        content,
        stop_reason: stopReason,
        stop_sequence: null,
        usage: { ...usageStart, output_tokens: outputTokens },
      });
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_${id}` });
      if (model.includes('cut')) {
        selfCut = true;
        res.write(message.slice(0, message.length >> 1));
        setTimeout(() => res.destroy(), 10);
        return;
      }
      finished = true;
      res.end(message);
      return;
    }

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': `req_${id}` });
    const send = (data: Record<string, unknown>) => res.write(`event: ${String(data.type)}\ndata: ${JSON.stringify(data)}\n\n`);

    send({
      type: 'message_start',
      message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: usageStart },
    });
    send({ type: 'ping' });
    if (model.includes('overloaded-first')) {
      finished = true;
      send({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
      res.end();
      return;
    }

    if (thinking.length) {
      send({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } });
      for (const part of thinking) {
        await sleep(delayMs);
        if (gone()) return;
        send({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: part } });
      }
      send({ type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'fake-signature' } });
      send({ type: 'content_block_stop', index: 0 });
    }
    const index = thinking.length ? 1 : 0;
    if (kind === 'tool') {
      send({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: toolId, name: tool!.name, input: {} } });
      for (const partial of jsonFragments) {
        await sleep(delayMs);
        if (gone()) return;
        send({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: partial } });
      }
    } else {
      send({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      for (let i = 0; i < textChunks.length; i++) {
        await sleep(delayMs);
        if (gone()) return;
        send({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: textChunks[i] } });
        if (model.includes('cut') && i === 1) {
          selfCut = true;
          await sleep(10);
          res.destroy();
          return;
        }
        if (model.includes('stream-error')) {
          await sleep(delayMs);
          finished = true;
          send({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
          res.end();
          return;
        }
      }
    }
    if (model.includes('ends-early')) {
      finished = true;
      res.end();
      return;
    }
    send({ type: 'content_block_stop', index });
    if (usageDelay) {
      await sleep(usageDelay);
      if (gone()) return;
    }
    send({ type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: outputTokens } });
    send({ type: 'message_stop' });
    finished = true;
    res.end();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    seen,
    thinking: thinkingKnobs,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
