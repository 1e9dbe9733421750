'use strict';
/** CPU and memory of processes, read from /proc. */
const { setInterval, clearInterval } = require('node:timers');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ROOT, CFG, round } = require('./settings');
const { dbName } = require('./stores');
const { sh } = require('./machine');

function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? round(Number(m[1]) / 1024, 1) : null;
  } catch {
    return null;
  }
}

const CLK_TCK = Number(sh('getconf', ['CLK_TCK'])) || 100;
const CPU_COUNT = os.cpus().length;
/** The phases the gateway names in Server-Timing, in order. */
const GATEWAY_PHASES = ['pre', 'route', 'hold', 'upstream', 'response'];
function cpuTicks(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime
  } catch {
    return null;
  }
}
function systemTicks() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return { total: f.reduce((a, b) => a + b, 0), idle: f[3] + (f[4] || 0) };
}

/** The gateway's own V8 heap figures from its Prometheus endpoint (prom-client default metrics), in MB. */
async function gatewayHeap(ctx) {
  const { request } = require(path.join(ROOT, 'node_modules', 'undici'));
  try {
    const res = await request(`http://127.0.0.1:${ctx.gateway.port}/metrics`, { headersTimeout: 5000, bodyTimeout: 5000 });
    const text = await res.body.text();
    const metric = (name) => {
      const m = new RegExp(`^\\w*${name}(?:\\{[^}]*\\})?\\s+([0-9.e+]+)`, 'm').exec(text);
      return m ? round(Number(m[1]) / 2 ** 20, 1) : null;
    };
    return {
      heapUsedMb: metric('nodejs_heap_size_used_bytes'),
      heapTotalMb: metric('nodejs_heap_size_total_bytes'),
      externalMb: metric('nodejs_external_memory_bytes'),
    };
  } catch {
    return { heapUsedMb: null, heapTotalMb: null, externalMb: null };
  }
}

/** Samples a process's RSS every 100 ms until stopped; returns the peak. */
function rssSampler(pid) {
  let peak = rssMb(pid) || 0;
  const timer = setInterval(() => {
    const v = rssMb(pid);
    if (v !== null && v > peak) peak = v;
  }, 100);
  return () => {
    clearInterval(timer);
    return peak;
  };
}

/** CPU ticks of every process with this command name (all Postgres backends, say), by pid. */
function ticksByName(name) {
  const out = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== name) continue;
    } catch {
      continue;
    }
    const t = cpuTicks(entry);
    if (t !== null) out.set(entry, t);
  }
  return out;
}

/** Ticks used between two readings; a process that started in between counts from zero. */
function ticksUsed(before, after) {
  let used = 0;
  for (const [pid, t] of after) used += t - (before.get(pid) ?? 0);
  return used;
}

/**
 * The services the gateway needs, whose CPU counts against it: the Postgres backends connected to
 * the bench database (not the whole server: other clients share it on this machine) and the
 * bench's own Redis server (bench/lib/redis-server.js) — or every redis-server process when the
 * bench uses an external one (BENCH_REDIS_URL).
 */
async function servicePids(ctx) {
  const pids = { postgres: new Set(), redis: new Set() };
  if (ctx && ctx.benchDb) {
    const { rows } = await ctx.benchDb.query('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [
      dbName(CFG.databaseUrl),
    ]);
    for (const r of rows) if (r.pid !== ctx.pgSamplerPid) pids.postgres.add(String(r.pid));
  }
  if (ctx && ctx.redisServer) pids.redis.add(String(ctx.redisServer.proc.pid));
  else for (const pid of ticksByName('redis-server').keys()) pids.redis.add(pid);
  return pids;
}
function ticksOf(pids) {
  const out = new Map();
  for (const pid of pids) {
    const t = cpuTicks(pid);
    if (t !== null) out.set(pid, t);
  }
  return out;
}

/** The separate worker's pid (BENCH_WORKER=separate), whose CPU counts with the services'. */
let workerPid = null;
const setWorkerPid = (pid) => {
  workerPid = pid;
};

/** Calls of every Redis command so far (INFO commandstats), by command. */
async function redisCalls(redis) {
  const out = {};
  if (!redis) return out;
  for (const m of (await redis.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out[m[1]] = Number(m[2]);
  return out;
}
function callsDelta(before, after) {
  const out = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] || 0) > 0) out[k] = v - (before[k] || 0);
  // The two INFO calls of this measurement.
  if (out.info) out.info = Math.max(0, out.info - 1);
  return out;
}

/** Requests the gateway has answered so far (its /metrics counter); null for other targets. */
async function gatewayRequests(ctx, pid) {
  if (!ctx || !ctx.gateway || ctx.gateway.proc.pid !== pid) return null;
  const { request } = require(path.join(ROOT, 'node_modules', 'undici'));
  try {
    const res = await request(`http://127.0.0.1:${ctx.gateway.port}/metrics`, { headersTimeout: 5000, bodyTimeout: 5000 });
    const text = await res.body.text();
    let n = 0;
    for (const m of text.matchAll(/^switchyard_http_requests_total\{[^}]*route="[^"]*completions"[^}]*\}\s+([0-9.e+]+)/gm))
      n += Number(m[1]);
    return n;
  } catch {
    return null;
  }
}

/**
 * Runs fn and adds the CPU it cost: processCpuPct of `pid`, serviceCpuPct of Postgres (the bench
 * database's backends) and Redis, the machine's busy share, and for the gateway the Redis commands
 * (INFO commandstats delta) and requests it answered in the meantime, for per-request figures.
 */
async function withCpu(ctx, pid, fn) {
  const isGateway = ctx && ctx.gateway && ctx.gateway.proc.pid === pid;
  const pids0 = await servicePids(ctx);
  const rc0 = isGateway ? await redisCalls(ctx.redis) : null;
  const n0 = isGateway ? await gatewayRequests(ctx, pid) : null;
  const t0 = process.hrtime.bigint();
  const c0 = cpuTicks(pid);
  const s0 = systemTicks();
  const v0 = { postgres: ticksOf(pids0.postgres), redis: ticksOf(pids0.redis) };
  const w0 = workerPid && cpuTicks(workerPid);
  const result = await fn();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c1 = cpuTicks(pid);
  const s1 = systemTicks();
  const pids1 = await servicePids(ctx);
  const v1 = {
    postgres: ticksOf(new Set([...pids0.postgres, ...pids1.postgres])),
    redis: ticksOf(new Set([...pids0.redis, ...pids1.redis])),
  };
  const pct = (ticks) => round((ticks / CLK_TCK / wall) * 100, 0);
  result.processCpuPct = c0 !== null && c1 !== null ? pct(c1 - c0) : null;
  result.machineBusyPct = round((1 - (s1.idle - s0.idle) / (s1.total - s0.total)) * 100, 0);
  result.serviceCpuPct = { postgres: pct(ticksUsed(v0.postgres, v1.postgres)), redis: pct(ticksUsed(v0.redis, v1.redis)) };
  if (workerPid) result.serviceCpuPct.worker = pct(cpuTicks(workerPid) - w0);
  if (isGateway) {
    const n1 = await gatewayRequests(ctx, pid);
    result.gatewayRequests = n0 !== null && n1 !== null ? n1 - n0 : null;
    result.redisCommands = callsDelta(rc0, await redisCalls(ctx.redis));
    // CPU per request from the counted requests and the whole measured window (warm-up included).
    if (result.gatewayRequests) {
      const per = (ticks) => round(((ticks / CLK_TCK) * 1000) / result.gatewayRequests, 3);
      result.cpuMsPerRequest = {
        gateway: c0 !== null && c1 !== null ? per(c1 - c0) : null,
        postgres: per(ticksUsed(v0.postgres, v1.postgres)),
        redis: per(ticksUsed(v0.redis, v1.redis)),
      };
    }
  }
  return result;
}

module.exports = { rssMb, CPU_COUNT, GATEWAY_PHASES, cpuTicks, gatewayHeap, rssSampler, setWorkerPid, withCpu };
