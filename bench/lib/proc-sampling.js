'use strict';
/** CPU and memory of processes, read from /proc. */
const { setInterval, clearInterval } = require('node:timers');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ROOT, round } = require('./settings');
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
    return { heapUsedMb: metric('nodejs_heap_size_used_bytes'), heapTotalMb: metric('nodejs_heap_size_total_bytes'), externalMb: metric('nodejs_external_memory_bytes') };
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

/** The services the gateway needs, whose CPU counts against it on a shared machine. */
const SERVICES = { postgres: 'postgres', redis: 'redis-server' };

/** The separate worker's pid (BENCH_WORKER=separate), whose CPU counts with the services'. */
let workerPid = null;
const setWorkerPid = (pid) => {
  workerPid = pid;
};

async function withCpu(pid, fn) {
  const t0 = process.hrtime.bigint();
  const c0 = cpuTicks(pid);
  const s0 = systemTicks();
  const v0 = Object.fromEntries(Object.entries(SERVICES).map(([k, name]) => [k, ticksByName(name)]));
  const w0 = workerPid && cpuTicks(workerPid);
  const result = await fn();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c1 = cpuTicks(pid);
  const s1 = systemTicks();
  const pct = (ticks) => round((ticks / CLK_TCK / wall) * 100, 0);
  result.processCpuPct = c0 !== null && c1 !== null ? pct(c1 - c0) : null;
  result.machineBusyPct = round((1 - (s1.idle - s0.idle) / (s1.total - s0.total)) * 100, 0);
  const own = { postgres: (result.pgWaits && result.pgWaits.samplerTicks) || 0 };
  result.serviceCpuPct = Object.fromEntries(Object.entries(SERVICES).map(([k, name]) => [k, pct(ticksUsed(v0[k], ticksByName(name)) - (own[k] || 0))]));
  if (workerPid) result.serviceCpuPct.worker = pct(cpuTicks(workerPid) - w0);
  return result;
}

module.exports = { rssMb, CPU_COUNT, GATEWAY_PHASES, cpuTicks, gatewayHeap, rssSampler, setWorkerPid, withCpu };
