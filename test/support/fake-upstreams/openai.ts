import type http from 'node:http';
import { imageSize } from 'image-size';
import { FakeUpstream, knobs, promptTokensOf, SeenRequest, sleep, startJsonServer } from './common';

export type { FakeUpstream, SeenRequest } from './common';

const WORDS = ['Hello', ' from', ' fake', '-openai', '.'];
/** The reasoning the fake returns when the request carries a reasoning_effort other than none. */
export const FAKE_OPENAI_REASONING = ['Thinking', ' it over.'];

/** The log probability the fake reports for a word, when asked for them, with `top` alternatives (the word first). */
export const fakeLogprob = (token: string, top = 0) => ({
  token,
  logprob: -0.25,
  bytes: [...Buffer.from(token)],
  top_logprobs: Array.from({ length: top }, (_, i) =>
    i === 0 ? { token, logprob: -0.25, bytes: [...Buffer.from(token)] } : { token: `${token}~${i}`, logprob: -1 - i, bytes: [] },
  ),
});

/** In JSON mode, a last message starting with this gets the rest of it back as the answer (malformed JSON for the healing tests). */
export const FAKE_VERBATIM_PREFIX = 'Answer verbatim:\n';
const VERBATIM = /^Answer verbatim:\n([\s\S]*)$/;

function textsOf(body: { messages?: { content?: unknown }[] }): string[] {
  const out: string[] = [];
  for (const m of body.messages ?? []) {
    if (typeof m.content === 'string') out.push(m.content);
    else if (Array.isArray(m.content)) for (const p of m.content) if (p && typeof p.text === 'string') out.push(p.text);
  }
  return out;
}

/**
 * OpenAI's tile-based image tokens: base + tile a 512px tile after fitting 2048 and shortest side
 * 768 (gpt-4o: 85 + 170; gpt-4o-mini: 2833 + 5667, about 33 times as many); base + 4 tiles when the
 * size is unknown, the base alone at `low` detail.
 */
function imageTokensOf(body: { messages?: { content?: unknown }[] }, model: string): number {
  const [base, tile] = model.startsWith('gpt-4o-mini') ? [2833, 5667] : [85, 170];
  let tokens = 0;
  for (const m of body.messages ?? []) {
    if (!Array.isArray(m.content)) continue;
    for (const p of m.content) {
      if (p?.type !== 'image_url') continue;
      const url: string = p.image_url?.url ?? '';
      const b64 = /^data:[^,]*;base64,(.*)$/s.exec(url)?.[1];
      let size: { width?: number; height?: number } = {};
      try {
        size = b64 ? imageSize(Buffer.from(b64, 'base64')) : {};
      } catch {
        size = {};
      }
      const [w, h] = [size.width ?? 0, size.height ?? 0];
      if (p.image_url?.detail === 'low') tokens += base;
      else if (!w || !h) tokens += base + 4 * tile;
      else {
        let s = Math.min(1, 2048 / Math.max(w, h));
        s *= Math.min(1, 768 / Math.min(w * s, h * s));
        tokens += base + tile * Math.ceil((w * s) / 512) * Math.ceil((h * s) / 512);
      }
    }
  }
  return tokens;
}

function error(res: http.ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { message, type: 'fake_error', code: String(status) } }));
}

export interface FakeOpenAiUpstream extends FakeUpstream {
  /** The tier an `auto` request is served at (set on a running fake): `default`, or `priority` as OpenAI may choose. */
  autoTier: string;
}

export interface FakeOpenAiOptions {
  /** Added before every response's headers (a realistic upstream latency for benchmarks). */
  latencyMs?: number;
  /** Milliseconds between streamed chunks. */
  chunkGapMs?: number;
}

/**
 * An OpenAI-compatible upstream on loopback. Behaviour follows the requested model name:
 * `fail-<status>`, `slow-<ms>`, `cut` (two chunks then the socket dies), `long` (200 chunks),
 * `no-usage` (no usage in the response), `bill-max` (usage claims max_tokens output tokens), `gap-<ms>`
 * (time between streamed chunks), `sse-error-<status>-at-<n>` (streams n words, then an error event with
 * that code and no [DONE]; `sse-error-<status>-at-<n>-done`: the error event and [DONE] in one write), `sse-end-at-<n>` (streams n words, then ends the body without a finish or
 * [DONE]), `stall-<ms>` (waits that long after the role chunk), `flood-<n>` (n words of about 1 KB, as fast as the reader takes them, with `gap-0`), `think-<n>` (n reasoning chunks instead of FAKE_OPENAI_REASONING), `hidden-<n>` (n reasoning tokens billed in the usage but never sent; o-series model names `o<digit>…` get 512 and a 300 ms usage delay), `usage-delay-<ms>` (the usage chunk comes that long after the finish reason), `no-done` (a complete stream, finish reason and usage included, whose body ends without `data: [DONE]`). Tools in the request get a tool call; JSON mode gets
 * `{"ok":true}`, or the text after FAKE_VERBATIM_PREFIX in the last message (in chunks of 8 characters). `logprobs: true` gets a log probability of -0.25 for every word (and `top_logprobs` alternatives). A `reasoning_effort`
 * other than `none` gets FAKE_OPENAI_REASONING first (`message.reasoning`; streamed as `delta.reasoning`
 * chunks before any content or error). Usage: prompt = ceil(characters of the messages' text, the
 * tools and the response_format / 4) plus images as OpenAI bills them (by size and detail, from a
 * data URL; gpt-4o-mini's at its own, 33 times higher, counts), completion = chunks sent (reasoning ones included, also as
 * reasoning_tokens) plus a `prediction`'s tokens (billed as if all rejected). A request's `service_tier` comes back as the
 * response's (in every chunk when streaming), `auto` as `autoTier` says (default `default`), as
 * OpenAI reports the tier used.
 */
export async function startFakeOpenAi(options: FakeOpenAiOptions = {}): Promise<FakeOpenAiUpstream> {
  const fake: { upstream?: FakeOpenAiUpstream } = {};
  const server = await startJsonServer('/v1', async (req, res, body, seen: SeenRequest) => {
    if (!req.headers.authorization?.startsWith('Bearer ')) return error(res, 401, 'missing API key');
    const path = (req.url ?? '').split('?')[0];
    const model: string = typeof body?.model === 'string' ? body.model : '';
    const k = knobs(model);
    const sseError = /sse-error-(\d{3})-at-(\d+)(-done)?/.exec(model);
    const sseEnd = /sse-end-at-(\d+)/.exec(model);
    const stall = /stall-(\d+)/.exec(model);
    const gap = k.gapMs ?? options.chunkGapMs ?? 2;
    if (options.latencyMs) await sleep(options.latencyMs);
    if (k.slowMs) await sleep(k.slowMs);
    if (k.failStatus) return error(res, k.failStatus, `fake failure ${k.failStatus}`);

    if (path === '/v1/embeddings') {
      const inputs: string[] = Array.isArray(body.input) ? body.input.map(String) : [String(body.input)];
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          object: 'list',
          model,
          data: inputs.map((t, index) => ({
            object: 'embedding',
            index,
            embedding: Array.from({ length: 8 }, (_, i) => ((t.length + i) % 10) / 10),
          })),
          usage: { prompt_tokens: promptTokensOf(inputs), total_tokens: promptTokensOf(inputs) },
        }),
      );
      return;
    }
    if (path !== '/v1/chat/completions') return error(res, 404, `no route ${path}`);

    // Billed as OpenAI bills: the messages' text, the tools and response_format schema, and images by size.
    const schemas = [body.tools, body.response_format].filter((v) => v !== undefined).map((v) => JSON.stringify(v));
    const prompt = promptTokensOf([...textsOf(body), ...schemas]) + imageTokensOf(body, model);
    // A predicted output's tokens that the answer did not use are billed as completion tokens (all of them here, below).
    const predicted = typeof body.prediction?.content === 'string' ? promptTokensOf([body.prediction.content]) : 0;
    const tools = Array.isArray(body.tools) && body.tools.length > 0;
    const json = body.response_format?.type === 'json_object' || body.response_format?.type === 'json_schema';
    const verbatim = json ? VERBATIM.exec(textsOf(body).at(-1) ?? '')?.[1] : undefined;
    const flood = /flood-(\d+)/.exec(model);
    const words = flood
      ? Array.from({ length: Number(flood[1]) }, (_, i) => ` w${i}${'x'.repeat(1000)}`)
      : k.long
        ? Array.from({ length: 200 }, (_, i) => ` w${i}`)
        : verbatim !== undefined
          ? (verbatim.match(/[\s\S]{1,8}/g) ?? [''])
          : json
            ? ['{"ok":', 'true}']
            : WORDS;
    const id = `chatcmpl-${Math.random().toString(36).slice(2)}`;
    const created = Math.floor(Date.now() / 1000);
    const top = Number(body.top_logprobs ?? 0);
    const serviceTier: string | undefined = body.service_tier === 'auto' ? fake.upstream!.autoTier : body.service_tier;
    const toolCall = tools
      ? { id: 'call_fake_1', type: 'function', function: { name: body.tools[0].function.name, arguments: '{"location":"Paris"}' } }
      : null;
    const think = /think-(\d+)/.exec(model);
    const reasoning =
      typeof body.reasoning_effort === 'string' && body.reasoning_effort !== 'none'
        ? think
          ? Array.from({ length: Number(think[1]) }, (_, i) => ` thought ${i}.`)
          : FAKE_OPENAI_REASONING
        : [];
    // Reasoning the provider bills but never shows. OpenAI's o-series (o1, o3-mini, ...) always
    // reason this way over chat completions, and send the usage chunk a moment after the answer.
    const oSeries = /^o\d/.test(model);
    const hidden = Number(/hidden-(\d+)/.exec(model)?.[1] ?? (oSeries ? 512 : 0));
    const usageDelay = Number(/usage-delay-(\d+)/.exec(model)?.[1] ?? (oSeries ? 300 : 0));
    const reasoningTokens = reasoning.length + hidden;
    const completionTokens = k.billMax
      ? Number(body.max_completion_tokens ?? body.max_tokens ?? 0)
      : reasoningTokens + (toolCall ? 8 : words.length);
    const usage = {
      prompt_tokens: prompt,
      completion_tokens: completionTokens,
      total_tokens: prompt + completionTokens,
      ...(reasoningTokens ? { completion_tokens_details: { reasoning_tokens: reasoningTokens } } : {}),
    };

    usage.completion_tokens += predicted;
    usage.total_tokens += predicted;
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [
            {
              index: 0,
              message: {
                ...(toolCall
                  ? { role: 'assistant', content: null, tool_calls: [toolCall] }
                  : { role: 'assistant', content: words.join('') }),
                ...(reasoning.length ? { reasoning: reasoning.join('') } : {}),
              },
              finish_reason: toolCall ? 'tool_calls' : 'stop',
              logprobs: body.logprobs && !toolCall ? { content: words.map((w) => fakeLogprob(w, top)) } : null,
            },
          ],
          ...(k.noUsage ? {} : { usage }),
          service_tier: serviceTier,
        }),
      );
      return;
    }

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (obj: unknown) => res.write(`data: ${JSON.stringify(obj)}\n\n`);
    const chunk = (delta: unknown, finish: string | null = null, logprobs: unknown = null) =>
      send({
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        service_tier: serviceTier,
        choices: [{ index: 0, delta, finish_reason: finish, logprobs }],
      });
    chunk({ role: 'assistant', content: '' });
    if (stall) await sleep(Number(stall[1]));
    for (const part of reasoning) {
      if (gap) await sleep(gap);
      chunk({ reasoning: part });
    }
    if (toolCall) {
      chunk({ tool_calls: [{ index: 0, id: toolCall.id, type: 'function', function: { name: toolCall.function.name, arguments: '' } }] });
      for (const part of ['{"location"', ':"Paris"}']) {
        await sleep(gap);
        chunk({ tool_calls: [{ index: 0, function: { arguments: part } }] });
      }
      chunk({}, 'tool_calls');
    } else {
      for (let i = 0; i < words.length; i++) {
        if (seen.aborted || res.destroyed) return;
        if (sseError && i === Number(sseError[2])) {
          // With -done, [DONE] follows in the same write, as vLLM ends a stream it failed.
          res.end(
            `data: ${JSON.stringify({ error: { message: `fake stream error ${sseError[1]}`, code: Number(sseError[1]) } })}\n\n${sseError[3] ? 'data: [DONE]\n\n' : ''}`,
          );
          return;
        }
        if (sseEnd && i === Number(sseEnd[1])) {
          res.end();
          return;
        }
        if (k.cut && i === 2) {
          await sleep(20); // let the chunks already written reach the client first
          res.destroy();
          return;
        }
        if (gap) await sleep(gap);
        // A flood waits for the reader, as a real server does, so a stalled gateway stalls it.
        else if (flood && res.writableNeedDrain) {
          await new Promise<void>((resolve) => {
            const done = () => {
              res.off('drain', done).off('close', done);
              resolve();
            };
            res.on('drain', done).on('close', done);
          });
        }
        chunk({ content: words[i] }, null, body.logprobs ? { content: [fakeLogprob(words[i], top)] } : null);
      }
      chunk({}, 'stop');
    }
    if (usageDelay) await sleep(usageDelay);
    if (!k.noUsage && body.stream_options?.include_usage)
      send({ id, object: 'chat.completion.chunk', created, model, service_tier: serviceTier, choices: [], usage });
    // Some providers close a complete stream without the [DONE] sentinel.
    res.end(model.includes('no-done') ? '' : 'data: [DONE]\n\n');
  });
  fake.upstream = Object.assign(server, { autoTier: 'default' });
  return fake.upstream;
}
