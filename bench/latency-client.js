#!/usr/bin/env node
'use strict';
/**
 * A small closed-loop load client with sub-millisecond timing (process.hrtime.bigint), for the
 * latency and streaming scenarios where autocannon's histogram is too coarse.
 *
 *   node bench/latency-client.js '<json config>'
 *
 * config: { url, headers, body (object), stream (bool), concurrency, seconds, warmupSeconds,
 *           maxRequests, keys (optional: worker i authenticates with keys[i % keys.length]) }
 * `concurrency` workers each send one request at a time over their own keep-alive connection,
 * for `warmupSeconds` (discarded) and then `seconds` (measured). Prints one JSON line:
 *   non-streaming: latency percentiles (request sent -> last byte of the body), in ms;
 *   streaming: ttft (request sent -> first event with non-empty delta content), gap (between
 *   consecutive content events), total (request -> [DONE]) percentiles in ms, and `coalesced`:
 *   content events that arrived in the same socket read as the previous one (batching).
 * When the target answers with a `Server-Timing` header (the gateway with SERVER_TIMING=true), also
 * `phases`: the percentiles of each phase it names, in ms.
 */
const { Buffer } = require('node:buffer');
const { Agent, request } = require('undici');

const cfg = JSON.parse(process.argv[2] || '{}');
const concurrency = Math.max(1, Number(cfg.concurrency || 1));
const seconds = Number(cfg.seconds || 5);
const warmupSeconds = Number(cfg.warmupSeconds ?? 1);
const maxRequests = Number(cfg.maxRequests || 1_000_000);
const payload = JSON.stringify(cfg.body);
const baseHeaders = { 'content-type': 'application/json', ...(cfg.headers || {}) };
const keys = Array.isArray(cfg.keys) && cfg.keys.length ? cfg.keys : null;
const headersFor = (w) => (keys ? { ...baseHeaders, authorization: `Bearer ${keys[w % keys.length]}` } : baseHeaders);
const agent = new Agent({ connections: concurrency, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: 60_000, bodyTimeout: 60_000 });

const NS = 1_000_000;
const ms = (a, b) => Number(b - a) / NS;

function pct(sorted, q) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return round(sorted[i]);
}
const round = (x) => (x === null || x === undefined ? null : Math.round(x * 1000) / 1000);
function summary(values) {
  const s = Float64Array.from(values).sort();
  const n = s.length;
  let sum = 0;
  for (const v of s) sum += v;
  return {
    n,
    mean: n ? round(sum / n) : null,
    min: n ? round(s[0]) : null,
    p50: pct(s, 0.5),
    p90: pct(s, 0.9),
    p99: pct(s, 0.99),
    max: n ? round(s[n - 1]) : null,
  };
}

/** `pre;dur=0.31, hold;dur=0.92` -> [['pre', 0.31], ['hold', 0.92]]; [] without the header. */
function serverTiming(value) {
  if (typeof value !== 'string') return [];
  const out = [];
  for (const part of value.split(',')) {
    const m = /^\s*([\w-]+)\s*;\s*dur=([\d.]+)/.exec(part);
    if (m) out.push([m[1], Number(m[2])]);
  }
  return out;
}

async function oneNonStream(headers) {
  const t0 = process.hrtime.bigint();
  const res = await request(cfg.url, { method: 'POST', headers, body: payload, dispatcher: agent });
  const parts = [];
  for await (const c of res.body) parts.push(c);
  const t1 = process.hrtime.bigint();
  const text = Buffer.concat(parts).toString('utf8');
  const ok = res.statusCode === 200 && text.includes('"usage"') && text.includes('"choices"');
  return {
    ok,
    status: res.statusCode,
    latency: ms(t0, t1),
    phases: serverTiming(res.headers['server-timing']),
    error: ok ? null : text.slice(0, 200),
  };
}

async function oneStream(headers) {
  const t0 = process.hrtime.bigint();
  const res = await request(cfg.url, { method: 'POST', headers, body: payload, dispatcher: agent });
  let buf = '';
  let first = null;
  let last = null;
  let lastRead = -1;
  let reads = 0;
  let done = false;
  let usage = false;
  let contentEvents = 0;
  const gaps = [];
  let coalesced = 0;
  for await (const c of res.body) {
    const now = process.hrtime.bigint();
    reads++;
    buf += c.toString('utf8');
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const ev = buf.slice(0, i);
      buf = buf.slice(i + 2);
      if (!ev.startsWith('data: ')) continue;
      const data = ev.slice(6);
      if (data === '[DONE]') {
        done = true;
        continue;
      }
      let obj;
      try {
        obj = JSON.parse(data);
      } catch {
        continue;
      }
      if (obj.usage) usage = true;
      const content = obj.choices && obj.choices[0] && obj.choices[0].delta && obj.choices[0].delta.content;
      if (!content) continue;
      contentEvents++;
      if (first === null) first = now;
      else {
        gaps.push(ms(last, now));
        if (lastRead === reads) coalesced++;
      }
      last = now;
      lastRead = reads;
    }
  }
  const t1 = process.hrtime.bigint();
  const ok = res.statusCode === 200 && done && usage && first !== null;
  return {
    ok,
    status: res.statusCode,
    ttft: first === null ? null : ms(t0, first),
    gaps,
    coalesced,
    contentEvents,
    total: ms(t0, t1),
    phases: serverTiming(res.headers['server-timing']),
    error: ok ? null : `status ${res.statusCode} done=${done} usage=${usage} ${buf.slice(0, 160)}`,
  };
}

async function phase(durationS, record) {
  const deadline = process.hrtime.bigint() + BigInt(Math.round(durationS * 1e9));
  let sent = 0;
  const worker = async (_, w) => {
    const headers = headersFor(w);
    while (process.hrtime.bigint() < deadline && sent < maxRequests) {
      sent++;
      try {
        record(await (cfg.stream ? oneStream(headers) : oneNonStream(headers)));
      } catch (err) {
        record({ ok: false, status: null, error: String(err && (err.code || err.message)) });
      }
    }
  };
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return ms(started, process.hrtime.bigint()) / 1000;
}

async function main() {
  if (warmupSeconds > 0) await phase(warmupSeconds, () => {});
  const lat = [];
  const ttft = [];
  const gaps = [];
  const totals = [];
  let ok = 0;
  let errors = 0;
  let coalesced = 0;
  let contentEvents = 0;
  const samples = [];
  const phases = {};
  const elapsed = await phase(seconds, (r) => {
    if (!r.ok) {
      errors++;
      if (samples.length < 3) samples.push({ status: r.status, error: r.error });
      return;
    }
    ok++;
    for (const [name, dur] of r.phases) (phases[name] ??= []).push(dur);
    if (cfg.stream) {
      ttft.push(r.ttft);
      for (const g of r.gaps) gaps.push(g);
      totals.push(r.total);
      coalesced += r.coalesced;
      contentEvents += r.contentEvents;
    } else lat.push(r.latency);
  });
  const out = { ok, errors, errorSamples: samples, seconds: round(elapsed), rps: round(ok / elapsed), concurrency };
  if (cfg.stream) Object.assign(out, { ttft: summary(ttft), gap: summary(gaps), total: summary(totals), contentEvents, coalesced });
  else out.latency = summary(lat);
  if (Object.keys(phases).length) out.phases = Object.fromEntries(Object.entries(phases).map(([name, v]) => [name, summary(v)]));
  process.stdout.write(`${JSON.stringify(out)}\n`);
  await agent.close();
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
