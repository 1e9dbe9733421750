#!/usr/bin/env node
'use strict';
/**
 * A lean OpenAI-compatible upstream for the benchmark (plain node:http, no dependencies).
 *
 *   node bench/fake-upstream.js [--port 0] [--latency 0] [--chunks 20] [--gap 10]
 *
 * POST /v1/chat/completions answers after `latency` ms (time to first byte). Non-streaming: one
 * JSON completion of `chunks` words with usage. Streaming: the role chunk and the first word at
 * once, then one word every `gap` ms, a finish chunk, the usage chunk when
 * `stream_options.include_usage` is set, and `data: [DONE]`.
 *
 * The defaults can be overridden per request through the model name, so one process serves every
 * scenario and the gateway's catalog maps its models onto them: `lat<ms>`, `chunks<n>`, `gap<ms>`
 * anywhere in the model, e.g. `fake-lat20-chunks20-gap10`. Output never exceeds max_tokens.
 *
 * Usage is realistic: prompt_tokens = ceil(characters of the messages / 4) + 4 per message,
 * completion_tokens = words produced. Prints one JSON line `{"listening":<port>}` when ready.
 * Loopback only; exits on SIGTERM/SIGINT, or under the harness (BENCH_CHILD=1) when stdin closes.
 */
const { Buffer } = require('node:buffer');
const { setTimeout } = require('node:timers');
const http = require('node:http');
const { serveChild } = require('./child-server');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i > 0 && process.argv[i + 1] !== undefined) return Number(process.argv[i + 1]);
  const env = process.env[`FAKE_${name.toUpperCase()}`];
  return env !== undefined && env !== '' ? Number(env) : fallback;
}

const DEFAULTS = { latency: arg('latency', 0), chunks: arg('chunks', 20), gap: arg('gap', 10) };
const PORT = arg('port', 0);
const WORDS = ' The quick brown fox jumps over the lazy dog while a gateway relays every token to the client without delay'.split(/(?= )/);

const knobCache = new Map();
function knobs(model) {
  let k = knobCache.get(model);
  if (k) return k;
  const num = (re, d) => {
    const m = re.exec(model);
    return m ? Number(m[1]) : d;
  };
  k = {
    latency: num(/lat(\d+)/, DEFAULTS.latency),
    chunks: Math.max(1, num(/chunks(\d+)/, DEFAULTS.chunks)),
    gap: num(/gap(\d+)/, DEFAULTS.gap),
  };
  if (knobCache.size < 1000) knobCache.set(model, k);
  return k;
}

function promptTokens(messages) {
  let chars = 0;
  let n = 0;
  for (const m of Array.isArray(messages) ? messages : []) {
    n++;
    if (typeof m.content === 'string') chars += m.content.length;
    else if (Array.isArray(m.content)) for (const p of m.content) if (p && typeof p.text === 'string') chars += p.text.length;
  }
  return Math.ceil(chars / 4) + 4 * n;
}

const sleep = (ms) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

function fail(res, status, message) {
  const body = JSON.stringify({ error: { message, type: 'fake_error', code: String(status) } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function handle(req, res, raw) {
  if (req.method === 'GET' && req.url === '/health') return fail(res, 200, 'ok');
  if (req.method !== 'POST' || req.url.split('?')[0] !== '/v1/chat/completions') return fail(res, 404, `no route ${req.url}`);
  if (!String(req.headers.authorization || '').startsWith('Bearer ')) return fail(res, 401, 'missing API key');
  let body;
  try {
    body = JSON.parse(raw);
  } catch {
    return fail(res, 400, 'invalid JSON');
  }
  const model = typeof body.model === 'string' ? body.model : 'fake';
  const k = knobs(model);
  const max = Number(body.max_completion_tokens ?? body.max_tokens ?? Infinity);
  const count = Math.max(1, Math.min(k.chunks, max));
  const words = Array.from({ length: count }, (_, i) => WORDS[i % WORDS.length]);
  const prompt = promptTokens(body.messages);
  const usage = {
    prompt_tokens: prompt,
    completion_tokens: count,
    total_tokens: prompt + count,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
  const id = `chatcmpl-${Math.random().toString(36).slice(2, 14)}`;
  const created = Math.floor(Date.now() / 1000);
  let closed = false;
  res.on('close', () => (closed = true));
  await sleep(k.latency);
  if (closed) return;

  if (body.stream !== true) {
    const out = JSON.stringify({
      id,
      object: 'chat.completion',
      created,
      model,
      system_fingerprint: 'fp_bench',
      choices: [
        { index: 0, message: { role: 'assistant', content: words.join(''), refusal: null }, logprobs: null, finish_reason: 'stop' },
      ],
      usage,
      service_tier: 'default',
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out), 'x-request-id': id });
    res.end(out);
    return;
  }

  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-request-id': id });
  const head = `{"id":"${id}","object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"system_fingerprint":"fp_bench","choices":[`;
  const chunk = (delta, finish = null) =>
    res.write(`data: ${head}${JSON.stringify({ index: 0, delta, logprobs: null, finish_reason: finish })}]}\n\n`);
  chunk({ role: 'assistant', content: '', refusal: null });
  for (let i = 0; i < words.length; i++) {
    if (i > 0) await sleep(k.gap);
    if (closed) return;
    chunk({ content: words[i] });
  }
  chunk({}, 'stop');
  if (body.stream_options && body.stream_options.include_usage) {
    res.write(`data: ${head}],"usage":${JSON.stringify(usage)}}\n\n`);
  }
  res.end('data: [DONE]\n\n');
}

const server = http.createServer((req, res) => {
  const parts = [];
  req.on('data', (c) => parts.push(c));
  req.on('end', () => {
    handle(req, res, Buffer.concat(parts).toString('utf8')).catch((err) => {
      if (!res.headersSent) fail(res, 500, String(err && err.message));
      else res.destroy();
    });
  });
});
serveChild(server, PORT, { defaults: DEFAULTS });
