import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import type { FakeThinkingUpstream, HiddenThinking, SeenRequest } from './common';

export type { FakeUpstream, SeenRequest } from './common';

/**
 * A fake Google Generative Language API (v1beta) on 127.0.0.1, deterministic so tests can assert
 * exact bodies and token counts.
 *
 * Routes: `POST /v1beta/models/{model}:generateContent`, `:streamGenerateContent?alt=sse` (SSE, CRLF
 * framed; without `alt=sse` a JSON array, as Google does), `:batchEmbedContents`. Requests need an
 * `x-goog-api-key` header (missing → 403 PERMISSION_DENIED; a key starting with `bad` → 401
 * UNAUTHENTICATED); a key in the query string is not accepted.
 *
 * Replies, by request content (first match):
 * - tools declared and mode not NONE → one functionCall to the first declared function with args
 *   `{"location":"Paris"}` (one chunk);
 * - `generationConfig.responseMimeType: application/json` → text `{"ok":true}` (one chunk);
 * - otherwise `Hello from fake-gemini`, one word per chunk (`Hello`, ` from`, ` fake-gemini`), 5 ms apart.
 * With `thinkingConfig.includeThoughts`, a thought part (`Thinking.`) comes first.
 * Gemini 2.5 models (`gemini-2.5-…`) think unless `thinkingBudget` is 0, as Google's do: they bill
 * `thinking.hiddenTokens` thought tokens (default 512; within the budget and `maxOutputTokens`)
 * they never send, and their stream's last chunk (finishReason and the full usage, no text) comes
 * `thinking.usageDelayMs` (default 300) after the answer. `hidden-<n>` and `usage-delay-<ms>` in a
 * model name do the same for any model.
 *
 * Usage: promptTokenCount = ceil(characters of every `text` part in `systemInstruction` and
 * `contents` / 4); candidatesTokenCount = number of answer chunks; thoughtsTokenCount = the hidden thoughts, plus 1 when a
 * thought was sent. Streams carry the prompt count on every chunk and the full usage with the
 * finishReason on the last one.
 *
 * Behaviour by model name (substrings, combinable): `fail-<code>` → that status with a Google error
 * body; `slow-<ms>` → wait before sending headers; `cut` → two chunks (or half the JSON body) then the
 * socket is destroyed; `long` → 200 chunks (`w0 `, `w1 `, ...) 5 ms apart, stopping when the client
 * disconnects. Any response the client abandons is recorded with `aborted: true`.
 *
 * Embeddings: 8 floats per text (or `outputDimensionality`), from its SHA-256: byte i → (b / 255) * 2 - 1
 * rounded to 6 places (the hash is extended by rehashing for more than 32 dimensions).
 */
/** A parsed request body: loosely typed on purpose, the fake reads it defensively with `?.`. */
type Body = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export async function startFakeGemini(): Promise<FakeThinkingUpstream> {
  const seen: SeenRequest[] = [];
  const thinking: HiddenThinking = { hiddenTokens: 512, usageDelayMs: 300 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: Body;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        body = raw;
      }
      const entry: SeenRequest = { path: req.url ?? '', headers: { ...req.headers }, body };
      seen.push(entry);
      res.on('close', () => {
        if (!res.writableFinished && !cutBySelf.has(res)) entry.aborted = true;
      });
      handle(req, res, body, raw).catch(() => res.destroy());
    });
  });
  const cutBySelf = new WeakSet<http.ServerResponse>();

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, body: Body, raw: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const m = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent|batchEmbedContents)$/.exec(url.pathname);
    if (req.method !== 'POST' || !m) return sendError(res, 404, `Method not found: ${req.method} ${url.pathname}`);
    const key = req.headers['x-goog-api-key'];
    if (typeof key !== 'string' || !key) {
      return sendError(
        res,
        403,
        "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
      );
    }
    if (key.startsWith('bad')) return sendError(res, 401, 'API key not valid. Please pass a valid API key.');
    if (raw && typeof body !== 'object') return sendError(res, 400, 'Invalid JSON payload received.');
    const model = decodeURIComponent(m[1]);
    const method = m[2];

    const fail = /fail-(\d{3})/.exec(model);
    if (fail) return sendError(res, Number(fail[1]), `Simulated failure ${fail[1]} for ${model}`);
    const slow = /slow-(\d+)/.exec(model);
    if (slow && !(await sleep(Number(slow[1]), res))) return;

    if (method === 'batchEmbedContents') return embed(res, body);
    if (!Array.isArray(body?.contents)) return sendError(res, 400, '* GenerateContentRequest.contents: contents is not specified');

    const reply = plan(model, body);
    if (method === 'generateContent') return whole(res, model, reply);
    if (url.searchParams.get('alt') === 'sse') return sse(res, model, reply);
    return jsonArray(res, model, reply);
  }

  /** The chunks of one answer and its usage. */
  interface Reply {
    thought: boolean;
    parts: Record<string, unknown>[];
    promptTokens: number;
    cut: boolean;
    /** Thought tokens billed and never sent. */
    hidden: number;
    /** The wait before a separate last chunk with the finish reason and the usage (0: on the last part). */
    usageDelay: number;
  }

  function plan(model: string, body: Body): Reply {
    const promptTokens = Math.ceil(textChars(body) / 4);
    const thought = body?.generationConfig?.thinkingConfig?.includeThoughts === true;
    const cut = model.includes('cut');
    const firstFn = body?.tools?.[0]?.functionDeclarations?.[0]?.name;
    const mode = body?.toolConfig?.functionCallingConfig?.mode;
    let parts: Record<string, unknown>[];
    if (typeof firstFn === 'string' && mode !== 'NONE') parts = [{ functionCall: { name: firstFn, args: { location: 'Paris' } } }];
    else if (body?.generationConfig?.responseMimeType === 'application/json') parts = [{ text: '{"ok":true}' }];
    else if (model.includes('long')) parts = Array.from({ length: 200 }, (_, i) => ({ text: `w${i} ` }));
    else parts = ['Hello', ' from', ' fake-gemini'].map((text) => ({ text }));
    const config = body?.generationConfig ?? {};
    const thinks = /^gemini-2\.5/.test(model) && config.thinkingConfig?.thinkingBudget !== 0;
    const hiddenKnob = /hidden-(\d+)/.exec(model);
    let hidden = hiddenKnob ? Number(hiddenKnob[1]) : thinks ? thinking.hiddenTokens : 0;
    if (typeof config.thinkingConfig?.thinkingBudget === 'number') hidden = Math.min(hidden, config.thinkingConfig.thinkingBudget);
    if (typeof config.maxOutputTokens === 'number') hidden = Math.max(0, Math.min(hidden, config.maxOutputTokens - parts.length));
    const usageDelay = Number(/usage-delay-(\d+)/.exec(model)?.[1] ?? (thinks ? thinking.usageDelayMs : 0));
    return { thought, parts, promptTokens, cut, hidden, usageDelay };
  }

  const usage = (r: Reply, final: boolean): Record<string, number> => {
    if (!final) return { promptTokenCount: r.promptTokens, totalTokenCount: r.promptTokens };
    const thoughts = (r.thought ? 1 : 0) + r.hidden;
    return {
      promptTokenCount: r.promptTokens,
      candidatesTokenCount: r.parts.length,
      ...(thoughts ? { thoughtsTokenCount: thoughts } : {}),
      totalTokenCount: r.promptTokens + r.parts.length + thoughts,
    };
  };

  /** The chunk list of a streamed reply: optional thought, then one chunk per part, the last with finishReason. */
  function streamChunks(model: string, r: Reply): Record<string, unknown>[] {
    const all = [...(r.thought ? [{ text: 'Thinking.', thought: true }] : []), ...r.parts];
    // A delayed usage comes in a last chunk of its own, with the finish reason and no text.
    if (r.usageDelay) all.push({ text: '' });
    return all.map((part, i) => {
      const last = i === all.length - 1;
      return {
        candidates: [{ content: { role: 'model', parts: [part] }, index: 0, ...(last ? { finishReason: 'STOP' } : {}) }],
        usageMetadata: usage(r, last),
        modelVersion: model,
        responseId: 'fake-response-id',
      };
    });
  }

  function whole(res: http.ServerResponse, model: string, r: Reply): void {
    const parts = [...(r.thought ? [{ text: 'Thinking.', thought: true }] : []), ...mergeText(r.parts)];
    const text = JSON.stringify({
      candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP', index: 0 }],
      usageMetadata: usage(r, true),
      modelVersion: model,
      responseId: 'fake-response-id',
    });
    res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
    if (r.cut) {
      res.write(text.slice(0, text.length >> 1), () => selfCut(res));
      return;
    }
    res.end(text);
  }

  async function sse(res: http.ServerResponse, model: string, r: Reply): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    const chunks = streamChunks(model, r);
    for (let i = 0; i < chunks.length; i++) {
      if (i > 0 && !(await sleep(i === chunks.length - 1 && r.usageDelay ? r.usageDelay : 5, res))) return;
      if (r.cut && i === 2) return selfCut(res);
      // Wait for the flush, so a cut right after it cannot swallow the chunk.
      await new Promise<void>((resolve) => res.write(`data: ${JSON.stringify(chunks[i])}\r\n\r\n`, () => resolve()));
    }
    res.end();
  }

  function jsonArray(res: http.ServerResponse, model: string, r: Reply): void {
    res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
    res.end(JSON.stringify(streamChunks(model, r)));
  }

  function embed(res: http.ServerResponse, body: Body): void {
    const requests: Body[] = Array.isArray(body?.requests) ? body.requests : [];
    if (!requests.length) return sendError(res, 400, '* BatchEmbedContentsRequest.requests: requests is not specified');
    const embeddings = requests.map((r) => {
      const text = (r?.content?.parts ?? []).map((p: Body) => (typeof p?.text === 'string' ? p.text : '')).join('');
      return { values: vector(text, Number(r?.outputDimensionality) || 8) };
    });
    res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
    res.end(JSON.stringify({ embeddings }));
  }

  function selfCut(res: http.ServerResponse): void {
    cutBySelf.add(res);
    res.socket?.destroy();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1beta`,
    seen,
    thinking,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'NOT_IMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

function sendError(res: http.ServerResponse, code: number, message: string): void {
  res.writeHead(code, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(
    JSON.stringify({ error: { code, message, status: STATUS[code] ?? (code >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION') } }, null, 2),
  );
}

/** Adjacent text parts of a non-streamed answer come back as one part, as Gemini does. */
function mergeText(parts: Record<string, unknown>[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const p of parts) {
    const last = out[out.length - 1];
    if (typeof p.text === 'string' && last && typeof last.text === 'string') last.text += p.text;
    else out.push({ ...p });
  }
  return out;
}

function textChars(body: Body): number {
  let n = 0;
  const count = (parts: unknown): void => {
    if (!Array.isArray(parts)) return;
    for (const p of parts) if (typeof p?.text === 'string') n += p.text.length;
  };
  count(body?.systemInstruction?.parts);
  for (const c of Array.isArray(body?.contents) ? body.contents : []) count(c?.parts);
  return n;
}

function vector(text: string, dims: number): number[] {
  const bytes: number[] = [];
  let h = createHash('sha256').update(text).digest();
  while (bytes.length < dims) {
    bytes.push(...h);
    h = createHash('sha256').update(h).digest();
  }
  return bytes.slice(0, dims).map((b) => Math.round(((b / 255) * 2 - 1) * 1e6) / 1e6);
}

/** Waits `ms`; false when the client went away meanwhile (the caller stops writing). */
function sleep(ms: number, res: http.ServerResponse): Promise<boolean> {
  if (res.destroyed || res.writableEnded) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onClose = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(!res.destroyed);
    }, ms);
    res.once('close', onClose);
  });
}
