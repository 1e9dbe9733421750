import type http from 'node:http';
import { FakeUpstream, promptTokensOf, sleep, startJsonServer } from './common';

/**
 * The fake's one answer: 60 tokens, each ending in whitespace (a space, or a newline after every
 * fifth), so that every cut leaves trailing whitespace a prefill has to leave out.
 */
export const STORY_TOKENS = Array.from({ length: 60 }, (_, i) => `word${i}${i % 5 === 4 ? '.\n' : ' '}`);
export const STORY = STORY_TOKENS.join('');

function textsOf(body: { messages?: { content?: unknown }[] }): string[] {
  return (body.messages ?? []).map((m) => (typeof m.content === 'string' ? m.content : '')).filter(Boolean);
}

function error(res: http.ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { message, type: 'invalid_request_error', code: String(status) } }));
}

/** The chunks that finish STORY after `prefix`: the rest of the token it ends inside, then whole tokens. */
export function chunksAfter(prefix: string): string[] {
  const out: string[] = [];
  let at = 0;
  for (const token of STORY_TOKENS) {
    const end = at + token.length;
    if (end > prefix.length) out.push(at >= prefix.length ? token : token.slice(prefix.length - at));
    at = end;
  }
  return out;
}

/**
 * An OpenAI-compatible provider on loopback that streams STORY deterministically, one token a
 * chunk, with faults scripted by the requested model name (several combine):
 *
 * - `sever-at-<n>`: after n content chunks the socket is destroyed (no finish, no usage, no [DONE]).
 * - `stall-at-<n>-<ms>`: after n content chunks the connection stays open and silent for that long.
 * - `malformed-at-<n>`: after n content chunks one event that is not JSON, then the rest as usual.
 * - `end-at-<n>`: after n content chunks the body ends cleanly, without a finish reason or usage.
 * - `error-<status>-at-<n>`: after n content chunks an error event with that code, then the end.
 * - `no-done`: a complete stream (finish reason and usage) whose body ends without `data: [DONE]`.
 * - `prefix`: continues a trailing assistant message marked `prefix: true` (Mistral's and DeepSeek's
 *   prefill), which must be a prefix of STORY without trailing whitespace, by streaming the rest of
 *   it; a trailing assistant message without the mark is refused with 400, as Mistral does.
 * - `rejects-prefill`: any trailing assistant message is refused with 400.
 * Without `prefix`, a trailing assistant message is ignored (the answer starts over), as OpenAI does.
 * Usage: prompt = ceil(characters of the messages' text / 4), the prefill included; completion =
 * content chunks sent. max_tokens cuts the answer (finish reason `length`).
 */
export async function startFakeStory(): Promise<FakeUpstream> {
  return startJsonServer('/v1', async (req, res, body, seen) => {
    if ((req.url ?? '').split('?')[0] !== '/v1/chat/completions') return error(res, 404, 'no such route');
    const model: string = typeof body?.model === 'string' ? body.model : '';
    const knob = (re: RegExp) => re.exec(model);
    const messages: { role?: string; content?: unknown; prefix?: unknown }[] = Array.isArray(body?.messages) ? body.messages : [];
    const last = messages[messages.length - 1];
    let prefill = '';
    if (last?.role === 'assistant') {
      if (model.includes('rejects-prefill'))
        return error(res, 400, 'The last message must have the user or tool role; assistant prefill is not supported');
      if (model.includes('prefix')) {
        if (last.prefix !== true)
          return error(res, 400, 'Expected last role User or Tool (or Assistant with prefix True) for serving but got assistant');
        prefill = typeof last.content === 'string' ? last.content : '';
        if (!STORY.startsWith(prefill) || prefill !== prefill.trimEnd())
          return error(res, 400, `prefill is not a trimmed prefix of the story: ${JSON.stringify(prefill.slice(-40))}`);
      }
    }
    const chunks = chunksAfter(prefill);
    const maxTokens = Number(body.max_tokens ?? body.max_completion_tokens ?? Infinity);
    const sent = chunks.slice(0, maxTokens);
    const finish = sent.length < chunks.length ? 'length' : 'stop';
    const prompt = promptTokensOf(textsOf(body));
    const usage = { prompt_tokens: prompt, completion_tokens: sent.length, total_tokens: prompt + sent.length };
    const id = `chatcmpl-story-${seen.path.length}-${Math.random().toString(36).slice(2)}`;
    const created = Math.floor(Date.now() / 1000);
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [{ index: 0, message: { role: 'assistant', content: sent.join('') }, finish_reason: finish }],
          usage,
        }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (obj: unknown) => res.write(`data: ${JSON.stringify(obj)}\n\n`);
    const chunk = (delta: unknown, finishReason: string | null = null) =>
      send({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finishReason }] });
    const sever = knob(/sever-at-(\d+)/);
    const stall = knob(/stall-at-(\d+)-(\d+)/);
    const malformed = knob(/malformed-at-(\d+)/);
    const end = knob(/end-at-(\d+)/);
    const failAt = knob(/error-(\d{3})-at-(\d+)/);
    chunk({ role: 'assistant', content: '' });
    for (let i = 0; i < sent.length; i++) {
      if (seen.aborted || res.destroyed) return;
      if (sever && i === Number(sever[1])) {
        await sleep(20); // the chunks already written reach the gateway first
        res.destroy();
        return;
      }
      if (failAt && i === Number(failAt[2])) {
        res.end(`data: ${JSON.stringify({ error: { message: `story error ${failAt[1]}`, code: Number(failAt[1]) } })}\n\n`);
        return;
      }
      if (end && i === Number(end[1])) {
        res.end();
        return;
      }
      if (stall && i === Number(stall[1])) {
        await sleep(Number(stall[2]));
        if (seen.aborted || res.destroyed) return;
      }
      if (malformed && i === Number(malformed[1])) res.write('data: {"id":"broken","choices":[{"delta":{"content":"lost\n\n');
      chunk({ content: sent[i] });
      await sleep(1);
    }
    chunk({}, finish);
    if (body.stream_options?.include_usage) send({ id, object: 'chat.completion.chunk', created, model, choices: [], usage });
    res.end(model.includes('no-done') ? '' : 'data: [DONE]\n\n');
  });
}
