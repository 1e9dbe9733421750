'use strict';
/** The measured scenarios (see bench/README.md): latency, the throughput ladder, streaming, billing contention. */
const { CFG, say } = require('./settings');
const { runJson } = require('./children');
const { rssSampler, withCpu } = require('./proc-sampling');
const { pgWaitsText, withPgWaits } = require('./pg-waits');
const { targetRequest, TARGETS, STREAM_TARGETS, rotate, pidOf } = require('./sut');

/** Keys for gateway load at concurrency > 1 (see CFG.keys); undefined = the main key everywhere. */
const spreadKeys = (ctx, target, concurrency) =>
  target === 'gateway' && concurrency > 1 && CFG.keys === 'spread' ? ctx.manyUserKeys : undefined;

function latencyRun(ctx, target, kind, concurrency, stream) {
  const cfg = { ...targetRequest(ctx, target, kind, stream), stream, concurrency, seconds: CFG.seconds, warmupSeconds: CFG.warmupSeconds };
  const keys = spreadKeys(ctx, target, concurrency);
  if (keys) cfg.keys = keys;
  return runJson('latency-client.js', cfg, (CFG.seconds + CFG.warmupSeconds) * 1000 + 60_000);
}

function loadRun(ctx, target, kind, connections, seconds, warmupSeconds, keys) {
  const cfg = { ...targetRequest(ctx, target, kind), connections, seconds, warmupSeconds };
  if (keys) cfg.keys = keys;
  return runJson('load-autocannon.js', cfg, (seconds + warmupSeconds) * 1000 + 60_000);
}

/** `  [redis per request: evalsha 3.0, ...; cpu ms per request: ...]` for the progress log. */
function commandsText(r) {
  if (!r.redisCommands || !r.gatewayRequests) return '';
  const per = Object.entries(r.redisCommands)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${(v / r.gatewayRequests).toFixed(1)}`)
    .join(', ');
  const cpu = r.cpuMsPerRequest
    ? `; cpu ms/request gateway ${r.cpuMsPerRequest.gateway} postgres ${r.cpuMsPerRequest.postgres} redis ${r.cpuMsPerRequest.redis}`
    : '';
  return `  [redis per request (${r.gatewayRequests} requests): ${per}${cpu}]`;
}

function checkErrors(what, r) {
  const errors = r.errors + (r.non2xx || 0) + (r.timeouts || 0);
  if (errors > 0) say(`  ! ${what}: ${errors} failed requests ${r.errorSamples ? JSON.stringify(r.errorSamples) : ''}`);
}

async function scenario1(ctx, run) {
  const out = {};
  for (const t of rotate(TARGETS, run)) {
    const run = () => latencyRun(ctx, t, 'fast', 1, false);
    // CPU per request at concurrency 1: what each request costs when nothing else amortises it.
    const r = t === 'direct' ? await run() : await withCpu(ctx, pidOf(ctx, t), t === 'gateway' ? () => withPgWaits(ctx, run) : run);
    checkErrors(`S1 ${t}`, r);
    out[t] = r;
    const phases = r.phases
      ? `  [${Object.entries(r.phases)
          .map(([name, v]) => `${name} ${v.p50}`)
          .join(', ')} ms p50]`
      : '';
    say(
      `  S1 ${t.padEnd(7)} c=1  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms  (${r.ok} requests)${phases}${pgWaitsText(r.pgWaits)}${commandsText(r)}`,
    );
  }
  return out;
}

/**
 * Highest sustained RPS with p99 under the limit: closed-loop autocannon at doubling connection
 * counts until p99 crosses the limit (or requests fail), then one step between the last good and
 * the first bad count.
 */
async function ladder(ctx, target, startAt) {
  const steps = [];
  const pid = pidOf(ctx, target);
  const good = (r) => r.latency.p99 < CFG.p99LimitMs && r.errors === 0 && r.non2xx === 0 && r.timeouts === 0;
  const step = async (c) => {
    const load = () => loadRun(ctx, target, 'slow', c, CFG.stepSeconds, CFG.stepWarmupSeconds, spreadKeys(ctx, target, c));
    const r = await withCpu(ctx, pid, target === 'gateway' ? () => withPgWaits(ctx, load) : load);
    r.good = good(r);
    steps.push(r);
    say(
      `  S2 ${target.padEnd(7)} c=${String(c).padEnd(4)} ${String(Math.round(r.rps)).padStart(6)} rps  p99 ${r.latency.p99} ms  cpu ${r.processCpuPct}%  postgres ${r.serviceCpuPct.postgres}%  redis ${r.serviceCpuPct.redis}%${r.serviceCpuPct.worker !== undefined ? `  worker ${r.serviceCpuPct.worker}%` : ''}  machine ${r.machineBusyPct}%${r.good ? '' : '  (over the limit)'}${commandsText(r)}${r.errors + r.non2xx + r.timeouts ? `  errors ${r.errors + r.non2xx + r.timeouts}` : ''}`,
    );
    return r;
  };
  let c = startAt;
  let lastGood = null;
  let firstBad = null;
  let declining = 0;
  let best = null;
  while (c <= CFG.ladderMax) {
    const r = await step(c);
    if (!r.good) {
      firstBad = c;
      break;
    }
    lastGood = c;
    if (best && r.rps < best.rps * 0.97) declining++;
    else declining = 0;
    if (!best || r.rps > best.rps) best = r;
    if (declining >= 2) break; // saturated and getting worse: more connections only queue
    c *= 2;
  }
  // Over the limit from the first rung: step down until a count holds it (or one connection).
  for (let down = startAt >> 1; lastGood === null && firstBad !== null && down >= 1; down >>= 1) {
    const r = await step(down);
    if (r.good) {
      lastGood = down;
      best = r;
    } else firstBad = down;
  }
  if (lastGood !== null && firstBad !== null && firstBad - lastGood > 2) {
    const r = await step(Math.round((lastGood + firstBad) / 2));
    if (r.good && r.rps > best.rps) best = r;
  }
  return { best, steps, bestConnections: best ? best.connections : null };
}

async function scenario2(ctx, run, prev) {
  const out = {};
  for (const t of rotate(['bare', 'portkey', 'gateway'], run)) {
    const prevBest = prev && prev[t] && prev[t].bestConnections;
    let startAt = CFG.ladderStart;
    if (prevBest) while (startAt * 4 <= prevBest) startAt *= 2; // later runs skip the low rungs
    const stopRss = rssSampler(pidOf(ctx, t));
    out[t] = await ladder(ctx, t, startAt);
    out[t].peakRssMb = stopRss();
  }
  return out;
}

async function scenario3(ctx, run) {
  const out = {};
  for (const c of CFG.streamConcurrency) {
    out[c] = {};
    for (const t of rotate(STREAM_TARGETS, run)) {
      const r = await latencyRun(ctx, t, 'stream', c, true);
      checkErrors(`S3 ${t} c=${c}`, r);
      out[c][t] = r;
      say(
        `  S3 ${t.padEnd(7)} c=${String(c).padEnd(3)} ttft p50 ${r.ttft.p50} ms p99 ${r.ttft.p99} ms  gap p50 ${r.gap.p50} p99 ${r.gap.p99} ms  coalesced ${r.coalesced}/${r.contentEvents}  (${r.ok} streams)`,
      );
    }
  }
  return out;
}

async function scenario5(ctx, run) {
  const variants = [
    ['one key', [ctx.mainKey]],
    [`${CFG.contentionKeys} keys, 1 user`, ctx.oneUserKeys],
    [`${CFG.contentionKeys} keys, ${CFG.contentionKeys} users`, ctx.manyUserKeys],
  ];
  const out = {};
  for (const [name, keys] of rotate(variants, run)) {
    const r = await withCpu(ctx, ctx.gateway.proc.pid, () =>
      loadRun(ctx, 'gateway', 'slow', CFG.contentionConnections, CFG.seconds, CFG.warmupSeconds, keys),
    );
    checkErrors(`S5 ${name}`, r);
    out[name] = r;
    say(
      `  S5 ${name.padEnd(20)} c=${CFG.contentionConnections} ${String(Math.round(r.rps)).padStart(6)} rps  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms  cpu ${r.processCpuPct}%`,
    );
  }
  return out;
}

module.exports = { spreadKeys, loadRun, scenario1, scenario2, scenario3, scenario5 };
