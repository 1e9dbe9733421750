import type http from 'node:http';
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
  top_logprobs: Array.from({ length: top }, (_, i) => (i === 0 ? { token, logprob: -0.25, bytes: [...Buffer.from(token)] } : { token: `${token}~${i}`, logprob: -1 - i, bytes: [] })),
});

function textsOf(body: { messages?: { content?: unknown }[] }): string[] {
  const out: string[] = [];
  for (const m of body.messages ?? []) {
    if (typeof m.content === 'string') out.push(m.content);
    else if (Array.isArray(m.content)) for (const p of m.content) if (p && typeof p.text === 'string') out.push(p.text);
  }
  return out;
}

function error(res: http.ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { message, type: 'fake_error', code: String(status) } }));
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
 * [DONE]), `stall-<ms>` (waits that long after the role chunk), `flood-<n>` (n words of about 1 KB, as fast as the reader takes them, with `gap-0`), `think-<n>` (n reasoning chunks instead of FAKE_OPENAI_REASONING). Tools in the request get a tool call; JSON mode gets
 * `{"ok":true}`. `logprobs: true` gets a log probability of -0.25 for every word (and `top_logprobs` alternatives). A `reasoning_effort`
 * other than `none` gets FAKE_OPENAI_REASONING first (`message.reasoning`; streamed as `delta.reasoning`
 * chunks before any content or error). Usage: prompt = ceil(characters / 4), completion = chunks sent
 * (reasoning ones included, also as reasoning_tokens). A request's `service_tier` comes back as the
 * response's (in every chunk when streaming), `auto` as `default`, as OpenAI reports the tier used.
 */
export async function startFakeOpenAi(options: FakeOpenAiOptions = {}): Promise<FakeUpstream> {
  return startJsonServer('/v1', async (req, res, body, seen: SeenRequest) => {
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
          data: inputs.map((t, index) => ({ object: 'embedding', index, embedding: Array.from({ length: 8 }, (_, i) => ((t.length + i) % 10) / 10) })),
          usage: { prompt_tokens: promptTokensOf(inputs), total_tokens: promptTokensOf(inputs) },
        }),
      );
      return;
    }
    if (path !== '/v1/chat/completions') return error(res, 404, `no route ${path}`);

    const prompt = promptTokensOf(textsOf(body));
    const tools = Array.isArray(body.tools) && body.tools.length > 0;
    const json = body.response_format?.type === 'json_object' || body.response_format?.type === 'json_schema';
    const flood = /flood-(\d+)/.exec(model);
    const words = flood
      ? Array.from({ length: Number(flood[1]) }, (_, i) => ` w${i}${'x'.repeat(1000)}`)
      : k.long
        ? Array.from({ length: 200 }, (_, i) => ` w${i}`)
        : json
          ? ['{"ok":', 'true}']
          : WORDS;
    const id = `chatcmpl-${Math.random().toString(36).slice(2)}`;
    const created = Math.floor(Date.now() / 1000);
    const top = Number(body.top_logprobs ?? 0);
    const serviceTier: string | undefined = body.service_tier === 'auto' ? 'default' : body.service_tier;
    const toolCall = tools
      ? { id: 'call_fake_1', type: 'function', function: { name: body.tools[0].function.name, arguments: '{"location":"Paris"}' } }
      : null;
    const think = /think-(\d+)/.exec(model);
    const reasoning =
      typeof body.reasoning_effort === 'string' && body.reasoning_effort !== 'none' ? (think ? Array.from({ length: Number(think[1]) }, (_, i) => ` thought ${i}.`) : FAKE_OPENAI_REASONING) : [];
    const completionTokens = k.billMax ? Number(body.max_completion_tokens ?? body.max_tokens ?? 0) : reasoning.length + (toolCall ? 8 : words.length);
    const usage = {
      prompt_tokens: prompt,
      completion_tokens: completionTokens,
      total_tokens: prompt + completionTokens,
      ...(reasoning.length ? { completion_tokens_details: { reasoning_tokens: reasoning.length } } : {}),
    };

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
                ...(toolCall ? { role: 'assistant', content: null, tool_calls: [toolCall] } : { role: 'assistant', content: words.join('') }),
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
      send({ id, object: 'chat.completion.chunk', created, model, service_tier: serviceTier, choices: [{ index: 0, delta, finish_reason: finish, logprobs }] });
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
          res.end(`data: ${JSON.stringify({ error: { message: `fake stream error ${sseError[1]}`, code: Number(sseError[1]) } })}\n\n${sseError[3] ? 'data: [DONE]\n\n' : ''}`);
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
    if (!k.noUsage && body.stream_options?.include_usage) send({ id, object: 'chat.completion.chunk', created, model, service_tier: serviceTier, choices: [], usage });
    res.end('data: [DONE]\n\n');
  });
}
