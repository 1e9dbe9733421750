#!/usr/bin/env node
'use strict';
/**
 * Switchyard benchmark harness: `npm run bench` (builds, then runs this file).
 *
 * Starts a fake OpenAI-compatible upstream, a bare pass-through proxy and the production build of
 * the gateway (auth, holds, settlement and generation records on) on loopback, measures the
 * scenarios described in bench/README.md against three targets in the same run
 *   direct  — the client calling the fake upstream itself,
 *   bare    — the client through bench/bare-proxy.js (plain node:http + undici, no logic),
 *   gateway — the client through Switchyard,
 * repeats everything BENCH_RUNS times and reports every figure as min/median/max over the runs,
 * with the gateway's cost expressed as differences from direct and ratios to the bare proxy
 * taken within each run. Writes bench/results/<YYYY-MM-DD>-<HHMM>.json and .md.
 *
 * Everything it starts is a child process, stopped on exit, error, Ctrl-C or SIGTERM.
 */
const { setInterval, clearInterval, setTimeout, clearTimeout } = require('node:timers');
const { URL } = require('node:url');
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const BENCH = __dirname;
const RESULTS = path.join(BENCH, 'results');
// One per harness: a watchdog still finishing off an earlier run must not find this run's children.
const PIDS_FILE = path.join(RESULTS, `children-${process.pid}.pids.tmp`);

// ---- settings ----------------------------------------------------------------------------------

const env = process.env;
const num = (name, fallback) => (env[name] !== undefined && env[name] !== '' ? Number(env[name]) : fallback);
const CFG = {
  runs: num('BENCH_RUNS', 3),
  seconds: num('BENCH_SECONDS', 4),
  warmupSeconds: num('BENCH_WARMUP_SECONDS', 1),
  stepSeconds: num('BENCH_STEP_SECONDS', 3),
  stepWarmupSeconds: num('BENCH_STEP_WARMUP_SECONDS', 1),
  upstreamLatencyMs: num('BENCH_UPSTREAM_LATENCY_MS', 20),
  streamChunks: num('BENCH_STREAM_CHUNKS', 20),
  streamGapMs: num('BENCH_STREAM_GAP_MS', 10),
  streamConcurrency: (env.BENCH_STREAM_CONCURRENCY || '1,50').split(',').map(Number),
  completionWords: num('BENCH_COMPLETION_WORDS', 20),
  maxTokens: num('BENCH_MAX_TOKENS', 64),
  promptChars: num('BENCH_PROMPT_CHARS', 600),
  p99LimitMs: num('BENCH_P99_LIMIT_MS', 100),
  ladderStart: num('BENCH_LADDER_START', 8),
  ladderMax: num('BENCH_LADDER_MAX', 1024),
  contentionConnections: num('BENCH_CONTENTION_CONNECTIONS', 64),
  contentionKeys: num('BENCH_CONTENTION_KEYS', 64),
  logLevel: env.BENCH_LOG_LEVEL || 'info',
  // Gateway load at concurrency > 1 in scenarios 2 and 3: 'spread' = connection i uses the key of
  // user i (BENCH_CONTENTION_KEYS users), 'one' = every connection on one key. Scenario 5 runs both.
  keys: env.BENCH_KEYS === 'one' ? 'one' : 'spread',
  alsoWarn: env.BENCH_ALSO_WARN === '1',
  scenarios: new Set((env.BENCH_SCENARIOS || '1,2,3,4,5').split(',').map((s) => s.trim())),
  databaseUrl: env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/switchyard_bench',
  redisUrl: env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379',
  redisPrefix: env.BENCH_REDIS_PREFIX || 'sy-bench',
  cpuProfDir: env.BENCH_CPU_PROF_DIR || '',
  gatewayNodeArgs: (env.BENCH_GATEWAY_NODE_ARGS || '').split(/\s+/).filter(Boolean),
  keepLogs: env.BENCH_KEEP_LOGS === '1',
  separateWorker: env.BENCH_WORKER === 'separate',
  drainTimeoutS: num('BENCH_DRAIN_TIMEOUT_SECONDS', 60),
  pgSampleMs: num('BENCH_PG_SAMPLE_MS', 10),
};
const UPSTREAM_KEY = 'bench-upstream-key';
const MAIN_EMAIL = 'bench@example.com';

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s`;
const say = (msg) => process.stderr.write(`[bench ${elapsed()}] ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round = (x, d = 3) => (x === null || x === undefined || Number.isNaN(x) ? null : Math.round(x * 10 ** d) / 10 ** d);

// ---- child processes ---------------------------------------------------------------------------

const children = new Set();

function recordPids() {
  try {
    fs.writeFileSync(PIDS_FILE, [...children].map((c) => `${c.proc.pid} ${c.name}`).join('\n'));
  } catch {
    /* best effort */
  }
}

/** Processes a previous harness left behind when it was killed with SIGKILL (no cleanup ran). */
function killStale() {
  // Log directories of runs whose harness is gone.
  for (const d of fs.readdirSync(RESULTS)) {
    const m = /^run-.*-(\d+)\.tmp$/.exec(d);
    if (!m) continue;
    let alive = false;
    try {
      process.kill(Number(m[1]), 0);
      alive = true;
    } catch {
      /* gone */
    }
    if (!alive) fs.rmSync(path.join(RESULTS, d), { recursive: true, force: true });
  }
  // Pid files of harnesses that are gone.
  for (const f of fs.readdirSync(RESULTS)) {
    const m = /^children-(\d+)\.pids\.tmp$/.exec(f);
    if (!m || Number(m[1]) === process.pid) continue;
    try {
      process.kill(Number(m[1]), 0);
      continue; // that harness is still running
    } catch {
      /* gone */
    }
    const file = path.join(RESULTS, f);
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const pid = Number(line.split(' ')[0]);
      if (!pid) continue;
      try {
        const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (cmd.includes(ROOT) || /bench\/|dist\/src\/main\.js/.test(cmd)) {
          process.kill(pid, 'SIGKILL');
          say(`killed stale child ${pid} left by an earlier run`);
        }
      } catch {
        /* gone */
      }
    }
    fs.rmSync(file, { force: true });
  }
}

function track(name, proc) {
  const child = { name, proc, exited: null };
  child.exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  children.add(child);
  recordPids();
  child.exited.then(() => {
    children.delete(child);
    recordPids();
  });
  return child;
}

/** A long-running server child that prints `{"listening":port}` on its first stdout line. */
async function startServer(name, script, args) {
  const proc = spawn(process.execPath, [path.join(BENCH, script), ...args], { cwd: ROOT, env: { ...env, BENCH_CHILD: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
  const child = track(name, proc);
  let err = '';
  proc.stderr.on('data', (d) => (err += d).length > 10000 && (err = err.slice(-5000)));
  const port = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not start in 10 s: ${err}`)), 10_000);
    proc.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(out.slice(0, nl)).listening);
        } catch {
          reject(new Error(`${name}: unexpected output ${out}`));
        }
      }
    });
    proc.once('exit', (code) => reject(new Error(`${name} exited (${code}): ${err}`)));
  });
  proc.stdout.resume();
  child.port = port;
  return child;
}

async function stopChild(child, graceMs = 15_000) {
  if (!child || child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill('SIGTERM');
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

/** Runs a load script in its own process and returns the JSON it prints. */
function runJson(script, config, timeoutMs) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [path.join(BENCH, script), JSON.stringify(config)], { cwd: ROOT, env: { ...env, BENCH_CHILD: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const child = track(script, proc);
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${script} did not finish in ${timeoutMs} ms`));
    }, timeoutMs);
    child.exited.then(({ code }) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`${script} exited ${code}: ${err.slice(-2000)}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()));
      } catch {
        reject(new Error(`${script}: no JSON result: ${out.slice(-500)} ${err.slice(-500)}`));
      }
    });
  });
}

function killAllSync() {
  for (const c of children) {
    try {
      c.proc.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
  fs.rmSync(PIDS_FILE, { force: true });
}

let interrupted = false;
let runTmpDir = null;
async function onSignal(signal) {
  if (interrupted) {
    killAllSync();
    process.exit(130);
  }
  interrupted = true;
  say(`${signal}: stopping every child process`);
  await Promise.race([Promise.all([...children].map((c) => stopChild(c, 3000))), sleep(5000)]);
  killAllSync();
  if (runTmpDir && !CFG.keepLogs) fs.rmSync(runTmpDir, { recursive: true, force: true });
  process.exit(130);
}
process.on('SIGINT', () => void onSignal('SIGINT'));
process.on('SIGTERM', () => void onSignal('SIGTERM'));
process.on('exit', killAllSync);

// ---- machine, versions, commit -----------------------------------------------------------------

function sh(cmd, args) {
  try {
    return execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();
  } catch {
    return null;
  }
}

async function machineInfo(pg, redis) {
  let osName = `${os.type()} ${os.release()}`;
  try {
    const rel = fs.readFileSync('/etc/os-release', 'utf8');
    const m = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(rel);
    if (m) osName = `${m[1]} (kernel ${os.release()})`;
  } catch {
    /* not Linux */
  }
  const cpus = os.cpus();
  const commit = sh('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = sh('git', ['status', '--porcelain', '--untracked-files=no']);
  const pkgVersion = (name) => {
    try {
      return require(path.join(ROOT, 'node_modules', name, 'package.json')).version;
    } catch {
      return null;
    }
  };
  const pgVersion = (await pg.query('show server_version')).rows[0].server_version;
  const redisInfo = await redis.info('server');
  return {
    machine: {
      cpus: cpus.length,
      cpuModel: cpus[0] ? cpus[0].model : null,
      memoryGb: round(os.totalmem() / 2 ** 30, 1),
      os: osName,
      arch: os.arch(),
      loadAverageAtStart: os.loadavg().map((x) => round(x, 2)),
    },
    versions: {
      node: process.version,
      postgres: pgVersion,
      redis: (/redis_version:(\S+)/.exec(redisInfo) || [])[1] || null,
      autocannon: pkgVersion('autocannon'),
      undici: pkgVersion('undici'),
      fastify: pkgVersion('fastify'),
      nestjsCore: pkgVersion('@nestjs/core'),
      switchyard: require(path.join(ROOT, 'package.json')).version,
    },
    commit: commit ? `${commit}${dirty ? '-dirty' : ''}` : 'unknown',
  };
}

// ---- Postgres, Redis ---------------------------------------------------------------------------

function dbName(url) {
  return new URL(url).pathname.slice(1);
}

async function resetDatabase(pg) {
  const name = dbName(CFG.databaseUrl);
  if (!/bench/.test(name)) throw new Error(`refusing to drop database "${name}": its name must contain "bench"`);
  await pg.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
  await pg.query(`DROP DATABASE IF EXISTS "${name}"`);
}

async function resetRedis(redis) {
  if (!/bench/.test(CFG.redisPrefix)) throw new Error(`refusing to clear Redis prefix "${CFG.redisPrefix}": it must contain "bench"`);
  let cursor = '0';
  let deleted = 0;
  for (let i = 0; i < 100_000; i++) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${CFG.redisPrefix}:*`, 'COUNT', 1000);
    if (keys.length) deleted += await redis.del(...keys);
    cursor = next;
    if (cursor === '0') break;
  }
  return deleted;
}

/**
 * Waits until every settlement and generation record of the requests so far has been written:
 * no generation job waiting or running, and no open hold — or the open holds stay the same for
 * 5 s with the queue empty (their settlement failed: the gateway logged it and the hold sweeper
 * settles them after HOLD_TTL_MS). Bounded by BENCH_DRAIN_TIMEOUT_SECONDS.
 */
async function drain(benchDb, redis, label) {
  const t0 = Date.now();
  const q = `${CFG.redisPrefix}:bull:generations`;
  let stable = { open: -1, since: Date.now() };
  for (;;) {
    const open = (await benchDb.query("SELECT count(*)::int AS n FROM credit_holds WHERE status = 'open'")).rows[0].n;
    const waiting = await redis.llen(`${q}:wait`);
    const active = await redis.llen(`${q}:active`);
    if (open !== stable.open) stable = { open, since: Date.now() };
    const queueEmpty = waiting === 0 && active === 0;
    if (queueEmpty && open === 0) return { ms: Date.now() - t0, ok: true, open: 0 };
    if (queueEmpty && Date.now() - stable.since > 5000) {
      return { ms: Date.now() - t0, ok: true, open, stuck: true };
    }
    if (Date.now() - t0 > CFG.drainTimeoutS * 1000) {
      say(`drain after ${label}: still ${open} open holds, ${waiting} waiting and ${active} active generation jobs after ${CFG.drainTimeoutS} s`);
      return { ms: Date.now() - t0, ok: false, open, waiting, active };
    }
    await sleep(100);
  }
}

/** Warnings and errors the gateway logged (pino levels >= 40), counted by message. */
function loggedProblems(logFile) {
  const counts = new Map();
  const text = fs.readFileSync(logFile, 'utf8');
  for (const line of text.split('\n')) {
    if (!line.includes('"level":"warn"') && !line.includes('"level":"error"') && !line.includes('"level":"fatal"') && !/"level":[4-6]0/.test(line)) continue;
    try {
      const o = JSON.parse(line);
      const detail = o.err && o.err.message ? `: ${String(o.err.message).slice(0, 120)}` : '';
      const k = `${o.level} "${o.msg}"${detail}`;
      counts.set(k, (counts.get(k) || 0) + 1);
    } catch {
      /* a partial line */
    }
  }
  return [...counts.entries()].map(([k, n]) => `${n} × ${k}`);
}

// ---- /proc sampling ----------------------------------------------------------------------------

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

// ---- Postgres wait sampling --------------------------------------------------------------------

/** The gateway's statements whose time is worth splitting, by what their text starts with. */
const PG_STATEMENTS = [
  ['hold', /sy_hold/],
  ['settle', /sy_settle/],
  ['records', /^INSERT INTO generations/],
];
const PG_STATES = ['cpu', 'lock', 'wal', 'other'];

/** What a sampled backend was doing: on CPU, waiting for a row lock, flushing the WAL, or else. */
function pgState(type, event) {
  if (!type) return 'cpu';
  if (type === 'Lock') return 'lock';
  if (/^WAL(Sync|Write)$/.test(event)) return 'wal';
  return 'other';
}

/**
 * Runs fn while sampling pg_stat_activity every BENCH_PG_SAMPLE_MS on a connection of its own:
 * for each of the gateway's hot statements, how many samples found it running on a CPU, waiting
 * for a row lock (another transaction's uncommitted update of the same row), waiting for its WAL
 * flush, or waiting on something else. Shares of samples estimate shares of time. Adds
 * `pgWaits` ({ samples, hold: { cpu, lock, wal, other }, ... }) to fn's result.
 */
/** `  [postgres hold: cpu 120, lock 40, wal 0, other 2 samples; settle: ...]` for the progress log. */
function pgWaitsText(w) {
  if (!w) return '';
  const part = ([k]) => `${k}: ${PG_STATES.map((st) => `${st} ${w[k][st]}`).join(', ')}`;
  return `  [postgres samples ${PG_STATEMENTS.map(part).join('; ')}]`;
}

async function withPgWaits(ctx, fn) {
  if (!CFG.pgSampleMs || !ctx.pgSampler) return fn();
  const counts = Object.fromEntries(PG_STATEMENTS.map(([k]) => [k, Object.fromEntries(PG_STATES.map((st) => [st, 0]))]));
  let samples = 0;
  let stop = false;
  const t0 = cpuTicks(ctx.pgSamplerPid);
  const loop = (async () => {
    while (!stop) {
      const { rows } = await ctx.pgSampler.query({
        name: 'bench_pg_waits',
        text: "SELECT wait_event_type AS type, wait_event AS event, query FROM pg_stat_activity WHERE datname = $1 AND state = 'active' AND pid <> pg_backend_pid()",
        values: [dbName(CFG.databaseUrl)],
      });
      samples++;
      for (const row of rows) {
        const hit = PG_STATEMENTS.find(([, re]) => re.test(row.query));
        if (hit) counts[hit[0]][pgState(row.type, row.event)]++;
      }
      await sleep(CFG.pgSampleMs);
    }
  })();
  try {
    const result = await fn();
    stop = true;
    await loop;
    // Its own backend's CPU, which withCpu leaves out of Postgres's share.
    result.pgWaits = { samples, samplerTicks: Math.max(0, (cpuTicks(ctx.pgSamplerPid) ?? t0) - t0), ...counts };
    return result;
  } finally {
    stop = true;
    await loop;
  }
}

// ---- HTTP helpers ------------------------------------------------------------------------------

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitHealthy(url, child, logFile, timeoutMs = 90_000) {
  const { request } = require(path.join(ROOT, 'node_modules', 'undici'));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.proc.exitCode !== null) break;
    try {
      const res = await request(url, { headersTimeout: 2000, bodyTimeout: 2000 });
      await res.body.text();
      if (res.statusCode === 200) return;
    } catch {
      /* not yet */
    }
    await sleep(200);
  }
  const tail = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n') : '';
  throw new Error(`the gateway did not become healthy (${child.proc.exitCode !== null ? `exited ${child.proc.exitCode}` : 'timeout'}):\n${tail}`);
}

// ---- the system under test ---------------------------------------------------------------------

function catalogYaml(upstreamPort) {
  const params = '[temperature, top_p, max_tokens, stop, seed]';
  const model = (id, upstream) => `
  - id: ${id}
    name: Bench ${id}
    description: benchmark model on the local fake upstream
    created: 1700000000
    context_length: 32000
    input_modalities: [text]
    output_modalities: [text]
    endpoints:
      - provider: bench
        upstream_model: ${upstream}
        pricing: { prompt: 1, completion: 2 }
        max_completion_tokens: 4096
        supported_parameters: ${params}`;
  return `# Generated by bench/run.js for one benchmark run: one provider, the fake upstream.
providers:
  - { slug: bench, name: Bench, adapter: openai, base_url: "http://127.0.0.1:${upstreamPort}/v1", api_key_env: BENCH_UPSTREAM_KEY, data_policy: { zdr: false, training: false } }
models:${model('bench/model', UPSTREAM_MODELS.fast)}${model('bench/model-20ms', UPSTREAM_MODELS.slow)}${model('bench/stream', UPSTREAM_MODELS.stream)}
`;
}

const UPSTREAM_MODELS = {
  fast: `fake-lat0-chunks${CFG.completionWords}`,
  slow: `fake-lat${CFG.upstreamLatencyMs}-chunks${CFG.completionWords}`,
  stream: `fake-lat0-chunks${CFG.streamChunks}-gap${CFG.streamGapMs}`,
};
const GATEWAY_MODELS = { fast: 'bench/model', slow: 'bench/model-20ms', stream: 'bench/stream' };

function gatewayEnv(port, catalogFile, logLevel) {
  return {
    ...env,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: CFG.databaseUrl,
    REDIS_URL: CFG.redisUrl,
    REDIS_KEY_PREFIX: CFG.redisPrefix,
    LOG_LEVEL: logLevel,
    RATE_LIMIT_KEY_RPM: '0',
    SERVER_TIMING: 'true',
    CATALOG_FILE: catalogFile,
    BENCH_UPSTREAM_KEY: UPSTREAM_KEY,
    SHUTDOWN_GRACE_MS: '5000',
  };
}

async function startGateway(ctx, logLevel, label) {
  const port = await freePort();
  const logFile = path.join(ctx.tmpDir, `gateway-${label}.log`);
  const fd = fs.openSync(logFile, 'a');
  // As `npm run start:prod` and the Docker image run it.
  const nodeArgs = ['--heap-growing-percent=50', ...CFG.gatewayNodeArgs];
  if (CFG.cpuProfDir) fs.mkdirSync(CFG.cpuProfDir, { recursive: true });
  if (CFG.cpuProfDir) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${path.resolve(CFG.cpuProfDir)}`);
  const proc = spawn(process.execPath, [...nodeArgs, path.join(ROOT, 'dist', 'src', 'main.js')], {
    cwd: ROOT,
    env: { ...gatewayEnv(port, ctx.catalogFile, logLevel), ...(CFG.separateWorker ? { WORKERS_ENABLED: 'false' } : {}) },
    stdio: ['ignore', fd, fd],
  });
  fs.closeSync(fd);
  const child = track(`gateway-${label}`, proc);
  child.startedAt = Date.now();
  child.port = port;
  child.logFile = logFile;
  (ctx.logFiles ||= []).push(logFile);
  await waitHealthy(`http://127.0.0.1:${port}/health`, child, logFile);
  return child;
}

/** The queue processors in a process of their own (`npm run start:worker`), for BENCH_WORKER=separate. */
async function startWorker(ctx) {
  const logFile = path.join(ctx.tmpDir, 'worker.log');
  const fd = fs.openSync(logFile, 'a');
  const proc = spawn(process.execPath, ['--heap-growing-percent=50', path.join(ROOT, 'dist', 'src', 'worker.js')], {
    cwd: ROOT,
    env: gatewayEnv(0, ctx.catalogFile, CFG.logLevel),
    stdio: ['ignore', fd, fd],
  });
  fs.closeSync(fd);
  const child = track('worker', proc);
  (ctx.logFiles ||= []).push(logFile);
  const deadline = Date.now() + 30_000;
  while (!fs.readFileSync(logFile, 'utf8').includes('switchyard worker running')) {
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`the worker did not start; see ${logFile}`);
    await sleep(100);
  }
  workerPid = proc.pid;
  return child;
}

function messages() {
  const filler = 'Summarise the following notes about the quarterly infrastructure review in three bullet points. ';
  let user = '';
  while (user.length < CFG.promptChars) user += filler;
  return [
    { role: 'system', content: 'You are a concise assistant for an engineering team.' },
    { role: 'user', content: user.slice(0, CFG.promptChars) },
  ];
}

/** The URL, headers and body for one target; `kind` picks the upstream behaviour. */
function targetRequest(ctx, target, kind, stream = false) {
  const body = { model: target === 'gateway' ? GATEWAY_MODELS[kind] : UPSTREAM_MODELS[kind], messages: ctx.messages, max_tokens: CFG.maxTokens };
  if (stream) Object.assign(body, { stream: true, stream_options: { include_usage: true } });
  if (target === 'gateway') return { url: `http://127.0.0.1:${ctx.gateway.port}/api/v1/chat/completions`, headers: { authorization: `Bearer ${ctx.mainKey}` }, body };
  const port = target === 'bare' ? ctx.bare.port : ctx.upstream.port;
  return { url: `http://127.0.0.1:${port}/v1/chat/completions`, headers: { authorization: `Bearer ${UPSTREAM_KEY}` }, body };
}

const TARGETS = ['direct', 'bare', 'gateway'];
const rotate = (list, k) => list.map((_, i) => list[(i + k) % list.length]);
const pidOf = (ctx, target) => (target === 'gateway' ? ctx.gateway.proc.pid : target === 'bare' ? ctx.bare.proc.pid : ctx.upstream.proc.pid);

// ---- scenarios ---------------------------------------------------------------------------------

/** Keys for gateway load at concurrency > 1 (see CFG.keys); undefined = the main key everywhere. */
const spreadKeys = (ctx, target, concurrency) => (target === 'gateway' && concurrency > 1 && CFG.keys === 'spread' ? ctx.manyUserKeys : undefined);

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

function checkErrors(what, r) {
  const errors = r.errors + (r.non2xx || 0) + (r.timeouts || 0);
  if (errors > 0) say(`  ! ${what}: ${errors} failed requests ${r.errorSamples ? JSON.stringify(r.errorSamples) : ''}`);
}

async function scenario1(ctx, run) {
  const out = {};
  for (const t of rotate(TARGETS, run)) {
    const run = () => latencyRun(ctx, t, 'fast', 1, false);
    // CPU per request at concurrency 1: what each request costs when nothing else amortises it.
    const r = t === 'direct' ? await run() : await withCpu(pidOf(ctx, t), t === 'gateway' ? () => withPgWaits(ctx, run) : run);
    checkErrors(`S1 ${t}`, r);
    out[t] = r;
    const phases = r.phases ? `  [${Object.entries(r.phases).map(([name, v]) => `${name} ${v.p50}`).join(', ')} ms p50]` : '';
    say(`  S1 ${t.padEnd(7)} c=1  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms  (${r.ok} requests)${phases}${pgWaitsText(r.pgWaits)}`);
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
    const r = await withCpu(pid, target === 'gateway' ? () => withPgWaits(ctx, load) : load);
    r.good = good(r);
    steps.push(r);
    say(`  S2 ${target.padEnd(7)} c=${String(c).padEnd(4)} ${String(Math.round(r.rps)).padStart(6)} rps  p99 ${r.latency.p99} ms  cpu ${r.processCpuPct}%  postgres ${r.serviceCpuPct.postgres}%  redis ${r.serviceCpuPct.redis}%${r.serviceCpuPct.worker !== undefined ? `  worker ${r.serviceCpuPct.worker}%` : ''}  machine ${r.machineBusyPct}%${r.good ? '' : '  (over the limit)'}${r.errors + r.non2xx + r.timeouts ? `  errors ${r.errors + r.non2xx + r.timeouts}` : ''}`);
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
  for (const t of rotate(['bare', 'gateway'], run)) {
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
    for (const t of rotate(TARGETS, run)) {
      const r = await latencyRun(ctx, t, 'stream', c, true);
      checkErrors(`S3 ${t} c=${c}`, r);
      out[c][t] = r;
      say(`  S3 ${t.padEnd(7)} c=${String(c).padEnd(3)} ttft p50 ${r.ttft.p50} ms p99 ${r.ttft.p99} ms  gap p50 ${r.gap.p50} p99 ${r.gap.p99} ms  coalesced ${r.coalesced}/${r.contentEvents}  (${r.ok} streams)`);
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
    const r = await withCpu(ctx.gateway.proc.pid, () => loadRun(ctx, 'gateway', 'slow', CFG.contentionConnections, CFG.seconds, CFG.warmupSeconds, keys));
    checkErrors(`S5 ${name}`, r);
    out[name] = r;
    say(`  S5 ${name.padEnd(20)} c=${CFG.contentionConnections} ${String(Math.round(r.rps)).padStart(6)} rps  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms  cpu ${r.processCpuPct}%`);
  }
  return out;
}

// ---- figures -----------------------------------------------------------------------------------

const median = (xs) => {
  const s = xs.filter((x) => x !== null && x !== undefined && !Number.isNaN(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const stats = (xs) => {
  const v = xs.filter((x) => x !== null && x !== undefined && !Number.isNaN(x));
  return v.length ? { min: Math.min(...v), median: median(v), max: Math.max(...v), values: xs } : { min: null, median: null, max: null, values: xs };
};
const div = (a, b) => (a === null || b === null || b === undefined || a === undefined || b === 0 ? null : a / b);
const sub = (a, b) => (a === null || b === null || a === undefined || b === undefined ? null : a - b);

/** Every reported figure: per-run values from a function of one run's raw results. */
function figureDefs(c1, cN) {
  const F = [];
  const add = (section, id, label, unit, get, target) => F.push({ section, id, label, unit, get, target });
  const s1 = (r, t, p) => r.s1 && r.s1[t].latency[p];
  const S1 = '1. Non-streaming, concurrency 1, upstream 0 ms';
  for (const p of ['p50', 'p99']) {
    add(S1, `s1.direct.${p}`, `direct ${p}`, 'ms', (r) => s1(r, 'direct', p));
    add(S1, `s1.bare.${p}`, `bare proxy ${p}`, 'ms', (r) => s1(r, 'bare', p));
    add(S1, `s1.gateway.${p}`, `gateway ${p}`, 'ms', (r) => s1(r, 'gateway', p));
    add(S1, `s1.bare.added.${p}`, `bare proxy added ${p} (vs direct)`, 'ms', (r) => sub(s1(r, 'bare', p), s1(r, 'direct', p)));
    add(S1, `s1.gateway.added.${p}`, `gateway added ${p} (vs direct)`, 'ms', (r) => sub(s1(r, 'gateway', p), s1(r, 'direct', p)), p === 'p50' ? { op: '<=', value: 1 } : { op: '<=', value: 3 });
    add(S1, `s1.ratio.${p}`, `ratio gateway/bare proxy, ${p} latency`, 'x', (r) => div(s1(r, 'gateway', p), s1(r, 'bare', p)));
  }
  const s1CpuMs = (t, k) => (r) => {
    const x = r.s1 && r.s1[t];
    const pct = x && (k ? x.serviceCpuPct && x.serviceCpuPct[k] : x.processCpuPct);
    return pct === null || pct === undefined || !x.rps ? null : (pct * 10) / x.rps;
  };
  add(S1, 's1.bare.cpuMsPerRequest', 'bare proxy CPU time per request', 'ms', s1CpuMs('bare'));
  add(S1, 's1.gateway.cpuMsPerRequest', 'gateway CPU time per request (settlement and records included)', 'ms', s1CpuMs('gateway'));
  add(S1, 's1.gateway.postgresCpuMsPerRequest', 'Postgres CPU time per gateway request', 'ms', s1CpuMs('gateway', 'postgres'));
  // Where the gateway's time goes, from its Server-Timing header: the rest of "added" is outside
  // the handler's reach (sockets, HTTP parsing and writing, process wake-ups).
  for (const name of GATEWAY_PHASES) {
    for (const p of ['p50', 'p99']) {
      add(S1, `s1.gateway.phase.${name}.${p}`, `gateway phase "${name}" ${p} (Server-Timing)`, 'ms', (r) => r.s1 && r.s1.gateway.phases && r.s1.gateway.phases[name] && r.s1.gateway.phases[name][p]);
    }
  }
  // Where the gateway's Postgres statements spend their time (sampled from pg_stat_activity).
  const waitShare = (w, stmt, st) => {
    const n = w && w[stmt] ? PG_STATES.reduce((a, k) => a + w[stmt][k], 0) : 0;
    return n ? (100 * w[stmt][st]) / n : null;
  };
  const waitFigures = (section, prefix, get) => {
    for (const stmt of ['hold', 'settle']) {
      for (const [st, what] of [['cpu', 'running'], ['lock', 'waiting for a row lock'], ['wal', 'waiting for its WAL flush']]) {
        add(section, `${prefix}.pg.${stmt}.${st}`, `Postgres ${stmt}${prefix === 's2' ? ' at best' : ''}: ${what} (% of its samples)`, '%', (r) => waitShare(get(r), stmt, st));
      }
    }
  };
  waitFigures(S1, 's1', (r) => r.s1 && r.s1.gateway.pgWaits);
  const keysNote = CFG.keys === 'spread' ? `gateway load spread over ${CFG.contentionKeys} users' keys` : 'gateway load on one key';
  const S2 = `2. Throughput, upstream ${CFG.upstreamLatencyMs} ms, p99 < ${CFG.p99LimitMs} ms (${keysNote})`;
  const best = (r, t, f) => r.s2 && r.s2[t].best && f(r.s2[t].best);
  add(S2, 's2.bare.rps', 'bare proxy max sustained RPS', 'rps', (r) => best(r, 'bare', (b) => b.rps));
  add(S2, 's2.gateway.rps', 'gateway max sustained RPS', 'rps', (r) => best(r, 'gateway', (b) => b.rps));
  add(S2, 's2.ratio.rps', 'ratio gateway/bare proxy RPS', 'x', (r) => div(best(r, 'gateway', (b) => b.rps), best(r, 'bare', (b) => b.rps)), { op: '>=', value: 0.5 });
  add(S2, 's2.bare.connections', 'bare proxy connections at best', 'conn', (r) => best(r, 'bare', (b) => b.connections));
  add(S2, 's2.gateway.connections', 'gateway connections at best', 'conn', (r) => best(r, 'gateway', (b) => b.connections));
  add(S2, 's2.gateway.p99', 'gateway p99 at best', 'ms', (r) => best(r, 'gateway', (b) => b.latency.p99));
  add(S2, 's2.gateway.cpu', 'gateway process CPU at best (100% = one core)', '%', (r) => best(r, 'gateway', (b) => b.processCpuPct));
  add(S2, 's2.bare.cpu', 'bare proxy process CPU at best', '%', (r) => best(r, 'bare', (b) => b.processCpuPct));
  const cpuMs = (b) => (b.processCpuPct === null || !b.rps ? null : (b.processCpuPct * 10) / b.rps);
  add(S2, 's2.bare.cpuMsPerRequest', 'bare proxy CPU time per request at best', 'ms', (r) => best(r, 'bare', cpuMs));
  add(S2, 's2.gateway.cpuMsPerRequest', 'gateway CPU time per request at best', 'ms', (r) => best(r, 'gateway', cpuMs));
  add(S2, 's2.ratio.cpuMsPerRequest', 'ratio gateway/bare proxy CPU time per request', 'x', (r) => div(best(r, 'gateway', cpuMs), best(r, 'bare', cpuMs)));
  // Where the machine's CPU goes per gateway request: Postgres and Redis share the cores here.
  const serviceMs = (k) => (b) => (!b.serviceCpuPct || !b.rps ? null : (b.serviceCpuPct[k] * 10) / b.rps);
  const machineMs = (b) => (!b.rps ? null : (b.machineBusyPct * CPU_COUNT * 10) / b.rps);
  add(S2, 's2.gateway.postgresCpuMsPerRequest', 'Postgres CPU time per gateway request at best', 'ms', (r) => best(r, 'gateway', serviceMs('postgres')));
  add(S2, 's2.gateway.redisCpuMsPerRequest', 'Redis CPU time per gateway request at best', 'ms', (r) => best(r, 'gateway', serviceMs('redis')));
  if (CFG.separateWorker) add(S2, 's2.gateway.workerCpuMsPerRequest', 'separate worker CPU time per gateway request at best', 'ms', (r) => best(r, 'gateway', serviceMs('worker')));
  add(S2, 's2.bare.machineCpuMsPerRequest', 'machine CPU time per bare proxy request at best (all processes)', 'ms', (r) => best(r, 'bare', machineMs));
  add(S2, 's2.gateway.machineCpuMsPerRequest', 'machine CPU time per gateway request at best (all processes)', 'ms', (r) => best(r, 'gateway', machineMs));
  // A gateway costing nothing itself would still be bound by its database: this is that bound.
  add(S2, 's2.gateway.postgresBoundRps', `RPS if Postgres had all ${CPU_COUNT} cores to itself`, 'rps', (r) => {
    const ms = best(r, 'gateway', serviceMs('postgres'));
    return ms ? (CPU_COUNT * 1000) / ms : null;
  });
  waitFigures(S2, 's2', (r) => best(r, 'gateway', (b) => b.pgWaits));
  const S3 = `3. Streaming, ${CFG.streamChunks} chunks ${CFG.streamGapMs} ms apart, upstream 0 ms (c > 1: ${keysNote})`;
  const s3 = (r, c, t, m, p) => r.s3 && r.s3[c] && r.s3[c][t][m][p];
  for (const c of [c1, cN].filter((x, i, a) => x !== undefined && a.indexOf(x) === i)) {
    add(S3, `s3.c${c}.direct.ttft.p50`, `c=${c} direct TTFT p50`, 'ms', (r) => s3(r, c, 'direct', 'ttft', 'p50'));
    add(S3, `s3.c${c}.bare.ttft.p50`, `c=${c} bare proxy TTFT p50`, 'ms', (r) => s3(r, c, 'bare', 'ttft', 'p50'));
    add(S3, `s3.c${c}.gateway.ttft.p50`, `c=${c} gateway TTFT p50`, 'ms', (r) => s3(r, c, 'gateway', 'ttft', 'p50'));
    add(S3, `s3.c${c}.bare.added.ttft.p50`, `c=${c} bare proxy added TTFT p50`, 'ms', (r) => sub(s3(r, c, 'bare', 'ttft', 'p50'), s3(r, c, 'direct', 'ttft', 'p50')));
    add(S3, `s3.c${c}.gateway.added.ttft.p50`, `c=${c} gateway added TTFT p50`, 'ms', (r) => sub(s3(r, c, 'gateway', 'ttft', 'p50'), s3(r, c, 'direct', 'ttft', 'p50')), c === c1 ? { op: '<=', value: 1 } : undefined);
    add(S3, `s3.c${c}.gateway.added.ttft.p99`, `c=${c} gateway added TTFT p99`, 'ms', (r) => sub(s3(r, c, 'gateway', 'ttft', 'p99'), s3(r, c, 'direct', 'ttft', 'p99')));
    add(S3, `s3.c${c}.ratio.ttft.p50`, `c=${c} ratio gateway/bare proxy TTFT p50`, 'x', (r) => div(s3(r, c, 'gateway', 'ttft', 'p50'), s3(r, c, 'bare', 'ttft', 'p50')));
    add(S3, `s3.c${c}.bare.added.gap.p50`, `c=${c} bare proxy added inter-chunk gap p50`, 'ms', (r) => sub(s3(r, c, 'bare', 'gap', 'p50'), s3(r, c, 'direct', 'gap', 'p50')));
    add(S3, `s3.c${c}.gateway.added.gap.p50`, `c=${c} gateway added inter-chunk gap p50`, 'ms', (r) => sub(s3(r, c, 'gateway', 'gap', 'p50'), s3(r, c, 'direct', 'gap', 'p50')), c === c1 ? { op: '<=', value: 1 } : undefined);
    add(S3, `s3.c${c}.bare.added.gap.p99`, `c=${c} bare proxy added inter-chunk gap p99`, 'ms', (r) => sub(s3(r, c, 'bare', 'gap', 'p99'), s3(r, c, 'direct', 'gap', 'p99')));
    add(S3, `s3.c${c}.gateway.added.gap.p99`, `c=${c} gateway added inter-chunk gap p99`, 'ms', (r) => sub(s3(r, c, 'gateway', 'gap', 'p99'), s3(r, c, 'direct', 'gap', 'p99')));
    add(S3, `s3.c${c}.gateway.coalesced`, `c=${c} gateway chunks batched with the previous one`, '%', (r) => r.s3 && r.s3[c] && 100 * div(r.s3[c].gateway.coalesced, r.s3[c].gateway.contentEvents), c === c1 ? { op: '<=', value: 1 } : undefined);
    add(S3, `s3.c${c}.direct.coalesced`, `c=${c} direct chunks batched with the previous one`, '%', (r) => r.s3 && r.s3[c] && 100 * div(r.s3[c].direct.coalesced, r.s3[c].direct.contentEvents));
  }
  const S4 = '4. Memory (VmRSS)';
  add(S4, 's4.gateway.idle', 'gateway RSS idle (after warm-up)', 'MB', (r) => r.s4 && r.s4.gatewayIdle);
  add(S4, 's4.gateway.peak', 'gateway RSS peak under scenario 2', 'MB', (r) => r.s2 && r.s2.gateway.peakRssMb, { op: '<=', value: 250 });
  add(S4, 's4.gateway.heapUsed', 'gateway V8 heap used, idle (its /metrics)', 'MB', (r) => r.s4 && r.s4.gatewayHeap && r.s4.gatewayHeap.heapUsedMb);
  add(S4, 's4.bare.idle', 'bare proxy RSS idle', 'MB', (r) => r.s4 && r.s4.bareIdle);
  add(S4, 's4.bare.peak', 'bare proxy RSS peak under scenario 2', 'MB', (r) => r.s2 && r.s2.bare.peakRssMb);
  add(S4, 's4.ratio.peak', 'ratio gateway/bare proxy peak RSS', 'x', (r) => r.s2 && div(r.s2.gateway.peakRssMb, r.s2.bare.peakRssMb));
  const S5 = `5. Billing contention, gateway, ${CFG.contentionConnections} connections, upstream ${CFG.upstreamLatencyMs} ms`;
  const s5 = (r, v, f) => r.s5 && r.s5[v] && f(r.s5[v]);
  const v1 = 'one key';
  const vk = `${CFG.contentionKeys} keys, 1 user`;
  const vu = `${CFG.contentionKeys} keys, ${CFG.contentionKeys} users`;
  for (const v of [v1, vk, vu]) {
    add(S5, `s5.${v}.rps`, `${v}: RPS`, 'rps', (r) => s5(r, v, (x) => x.rps));
    add(S5, `s5.${v}.p50`, `${v}: p50`, 'ms', (r) => s5(r, v, (x) => x.latency.p50));
    add(S5, `s5.${v}.p99`, `${v}: p99`, 'ms', (r) => s5(r, v, (x) => x.latency.p99));
    add(S5, `s5.${v}.failed`, `${v}: failed requests`, 'n', (r) => s5(r, v, (x) => x.errors + x.non2xx + x.timeouts));
  }
  add(S5, 's5.ratio.keys', `ratio RPS ${vk} / one key`, 'x', (r) => div(s5(r, vk, (x) => x.rps), s5(r, v1, (x) => x.rps)));
  add(S5, 's5.ratio.users', `ratio RPS ${vu} / one key`, 'x', (r) => div(s5(r, vu, (x) => x.rps), s5(r, v1, (x) => x.rps)));
  return F;
}

function figuresFor(runs) {
  const c1 = CFG.streamConcurrency[0];
  const cN = CFG.streamConcurrency[CFG.streamConcurrency.length - 1];
  const out = [];
  for (const f of figureDefs(c1, cN)) {
    const values = runs.map((r) => {
      try {
        const v = f.get(r);
        return v === undefined || v === null || Number.isNaN(v) ? null : v;
      } catch {
        return null;
      }
    });
    if (values.every((v) => v === null)) continue;
    const s = stats(values);
    const fig = { section: f.section, id: f.id, label: f.label, unit: f.unit, min: s.min, median: s.median, max: s.max, values };
    if (f.target) {
      const ok = (v) => (f.target.op === '<=' ? v <= f.target.value : v >= f.target.value);
      fig.target = `${f.target.op} ${f.target.value}${f.unit === 'x' ? '' : ` ${f.unit}`}`;
      fig.pass = s.median === null ? null : ok(s.median);
      fig.passEveryRun = values.every((v) => v !== null && ok(v));
    }
    out.push(fig);
  }
  return out;
}

// ---- output ------------------------------------------------------------------------------------

function fmt(v, unit) {
  if (v === null || v === undefined) return '–';
  if (unit === 'rps' || unit === 'conn' || unit === 'n' || unit === '%') return String(Math.round(v * (unit === '%' ? 10 : 1)) / (unit === '%' ? 10 : 1));
  if (unit === 'MB') return v.toFixed(1);
  if (unit === 'x') return v.toFixed(2);
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(3);
}

function table(figures) {
  const lines = [];
  let section = null;
  for (const f of figures) {
    if (f.section !== section) {
      section = f.section;
      lines.push('', `### ${section}`, '', '| figure | unit | min | median | max | target | result |', '| --- | --- | ---: | ---: | ---: | --- | --- |');
    }
    const result = f.target ? (f.pass ? (f.passEveryRun ? 'PASS' : 'PASS (median; not every run)') : 'FAIL') : '';
    lines.push(`| ${f.label} | ${f.unit} | ${fmt(f.min, f.unit)} | ${fmt(f.median, f.unit)} | ${fmt(f.max, f.unit)} | ${f.target || ''} | ${result} |`);
  }
  return lines.join('\n');
}

function settingsText(meta) {
  return [
    `- Runs: ${CFG.runs}; measured ${CFG.seconds} s per latency/stream/contention measurement after ${CFG.warmupSeconds} s warm-up; throughput ladder steps of ${CFG.stepSeconds} s after ${CFG.stepWarmupSeconds} s warm-up.`,
    `- Request: ${CFG.promptChars}-character user prompt + system prompt, max_tokens ${CFG.maxTokens}; upstream answers ${CFG.completionWords} words (non-streaming) with usage; streaming: ${CFG.streamChunks} chunks ${CFG.streamGapMs} ms apart plus a usage chunk.`,
    `- Gateway: production build (NODE_ENV=production), LOG_LEVEL=${meta.logLevel} to a file, auth + holds + settlement + generation records (Bull queue, ${CFG.separateWorker ? 'processed by a separate worker process, BENCH_WORKER=separate' : 'workers in-process'}) on, RATE_LIMIT_KEY_RPM=0, SERVER_TIMING=true, one process.`,
    `- Keys: gateway load at concurrency > 1 in scenarios 2 and 3 uses ${CFG.keys === 'spread' ? `one key per connection, spread over ${CFG.contentionKeys} users (connection i → user i)` : 'one key for every connection'}; concurrency 1 uses one key; scenario 5 compares one key, ${CFG.contentionKeys} keys of one user and ${CFG.contentionKeys} users.`,
    `- Load: autocannon ${meta.versions.autocannon} (scenarios 2, 5) and bench/latency-client.js (undici, hrtime; scenarios 1, 3), each in its own process. "Added" = target minus direct in the same run; ratios are taken within each run, then summarised.`,
    `- Machine sharing: on this ${meta.machine.cpus}-CPU machine the load generator, the fake upstream, the bare proxy or gateway, PostgreSQL and Redis all share the CPUs, so absolute figures are lower and noisier than on a dedicated box; the ratios are the figures to compare.`,
  ].join('\n');
}

function markdown(result) {
  const m = result.meta;
  const verdicts = result.figures.filter((f) => f.target);
  return `# Switchyard benchmark ${m.date}

- Commit: \`${m.commit}\`
- Machine: ${m.machine.cpus} × ${m.machine.cpuModel}, ${m.machine.memoryGb} GB RAM, ${m.machine.os} (${m.machine.arch}); load average at start ${m.machine.loadAverageAtStart.join(' / ')}
- Versions: Node ${m.versions.node}, PostgreSQL ${m.versions.postgres}, Redis ${m.versions.redis}, Fastify ${m.versions.fastify}, NestJS ${m.versions.nestjsCore}, undici ${m.versions.undici}, autocannon ${m.versions.autocannon}
- Duration: ${m.durationSeconds} s

## Settings

${settingsText(m)}

## Targets

${verdicts.map((f) => `- ${f.pass ? (f.passEveryRun ? 'PASS' : 'PASS (median)') : '**FAIL**'} — ${f.label}: median ${fmt(f.median, f.unit)} ${f.unit} (min ${fmt(f.min, f.unit)}, max ${fmt(f.max, f.unit)}), target ${f.target}`).join('\n')}

## Figures (min / median / max over ${CFG.runs} runs)
${table(result.figures)}
${result.warn ? `\n## Second pass with LOG_LEVEL=warn (access logs off)\n${table(result.warn.figures)}\n` : ''}
## Checks

${result.checks.map((c) => `- ${c}`).join('\n')}

The raw per-run measurements (every ladder step, every percentile) are in the JSON file next to this one.
`;
}

function ledgerCheck(ctx) {
  try {
    const out = execFileSync(process.execPath, [path.join(ROOT, 'dist', 'src', 'cli.js'), 'ledger:check'], {
      cwd: ROOT,
      env: gatewayEnv(0, ctx.catalogFile, 'warn'),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    });
    return out.trim().split('\n').pop();
  } catch (err) {
    return `FAILED: ${String((err.stdout || '') + (err.stderr || '') || err.message).trim().split('\n').slice(-5).join(' | ')}`;
  }
}

/**
 * BENCH_SCENARIOS=profile (with BENCH_CPU_PROF_DIR): after the warm-up, one steady scenario-2-like
 * load on the gateway (BENCH_PROFILE_CONNECTIONS connections, upstream BENCH_UPSTREAM_LATENCY_MS,
 * BENCH_PROFILE_SECONDS), then SIGTERM so the gateway writes its profile, and a summary of the
 * load window only (bench/profile-summary.js --skip-ms).
 */
async function profileMode(ctx, date) {
  if (!CFG.cpuProfDir) throw new Error('BENCH_SCENARIOS=profile needs BENCH_CPU_PROF_DIR');
  const connections = num('BENCH_PROFILE_CONNECTIONS', 32);
  const seconds = num('BENCH_PROFILE_SECONDS', 20);
  await drain(ctx.benchDb, ctx.redis, 'warm-up');
  const skipMs = Date.now() - ctx.gateway.startedAt;
  say(`profile load: gateway, ${connections} connections, ${seconds} s (profile window starts ${skipMs} ms after the gateway started)`);
  const r = await withCpu(ctx.gateway.proc.pid, () => loadRun(ctx, 'gateway', 'slow', connections, seconds, 0, spreadKeys(ctx, 'gateway', connections)));
  say(`  ${Math.round(r.rps)} rps  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms  gateway cpu ${r.processCpuPct}%  postgres ${r.serviceCpuPct.postgres}%  redis ${r.serviceCpuPct.redis}%  machine ${r.machineBusyPct}%`);
  const loadEnd = Date.now() - ctx.gateway.startedAt;
  await drain(ctx.benchDb, ctx.redis, 'profile');
  const before = new Set(fs.readdirSync(CFG.cpuProfDir));
  await stopChild(ctx.gateway);
  const file = fs.readdirSync(CFG.cpuProfDir).find((f) => f.endsWith('.cpuprofile') && !before.has(f)) || fs.readdirSync(CFG.cpuProfDir).filter((f) => f.endsWith('.cpuprofile')).sort().pop();
  if (!file) throw new Error(`no .cpuprofile written in ${CFG.cpuProfDir}`);
  const full = path.join(CFG.cpuProfDir, file);
  const summary = execFileSync(process.execPath, [path.join(BENCH, 'profile-summary.js'), full, '--skip-ms', String(skipMs), '--top', '25'], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  const header = `# Gateway CPU profile under load\n\nload: ${connections} connections (${CFG.keys === 'spread' ? `keys of ${CFG.contentionKeys} users` : 'one key'}), upstream ${CFG.upstreamLatencyMs} ms, ${seconds} s: ${Math.round(r.rps)} rps, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, gateway CPU ${r.processCpuPct}% (100% = one core), Postgres ${r.serviceCpuPct.postgres}%, Redis ${r.serviceCpuPct.redis}%, machine ${r.machineBusyPct}% busy; failed ${r.errors + r.non2xx + r.timeouts}.\nprofile window: ${skipMs} ms to ${loadEnd} ms after the gateway started (the rest of the profile is start-up, warm-up and shutdown).\n\n`;
  const out = path.join(RESULTS, `${stamp(date)}-profile.txt`);
  fs.writeFileSync(out, `${header}${summary}`);
  process.stdout.write(`${header}${summary}`);
  say(`profile ${full}; summary written to ${path.relative(ROOT, out)}`);
}

// ---- main --------------------------------------------------------------------------------------

function stamp(d) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}`;
}

async function measureRuns(ctx, label) {
  const runs = [];
  let prevS2 = null;
  for (let run = 0; run < CFG.runs; run++) {
    say(`run ${run + 1}/${CFG.runs}${label ? ` (${label})` : ''}`);
    const r = { run: run + 1 };
    if (CFG.scenarios.has('4')) {
      await sleep(1000);
      r.s4 = { gatewayIdle: rssMb(ctx.gateway.proc.pid), bareIdle: rssMb(ctx.bare.proc.pid), gatewayHeap: await gatewayHeap(ctx) };
      say(`  S4 idle RSS gateway ${r.s4.gatewayIdle} MB (V8 heap used ${r.s4.gatewayHeap.heapUsedMb} MB of ${r.s4.gatewayHeap.heapTotalMb}), bare proxy ${r.s4.bareIdle} MB`);
    }
    if (CFG.scenarios.has('1')) r.s1 = await scenario1(ctx, run);
    if (CFG.scenarios.has('2') || CFG.scenarios.has('4')) {
      r.s2 = await scenario2(ctx, run, prevS2);
      prevS2 = r.s2;
      say(`  S4 peak RSS under S2: gateway ${r.s2.gateway.peakRssMb} MB, bare proxy ${r.s2.bare.peakRssMb} MB`);
      r.drainAfterS2 = await drain(ctx.benchDb, ctx.redis, 'S2');
    }
    if (CFG.scenarios.has('3')) {
      r.s3 = await scenario3(ctx, run);
      r.drainAfterS3 = await drain(ctx.benchDb, ctx.redis, 'S3');
    }
    if (CFG.scenarios.has('5')) {
      r.s5 = await scenario5(ctx, run);
      r.drainAfterS5 = await drain(ctx.benchDb, ctx.redis, 'S5');
    }
    runs.push(r);
  }
  return runs;
}

async function main() {
  const { Client } = require(path.join(ROOT, 'node_modules', 'pg'));
  const Redis = require(path.join(ROOT, 'node_modules', 'ioredis'));
  if (!fs.existsSync(path.join(ROOT, 'dist', 'src', 'main.js'))) throw new Error('dist/src/main.js is missing: run `npm run build` (npm run bench does)');
  fs.mkdirSync(RESULTS, { recursive: true });
  killStale();
  // Stops our children if this process dies without cleaning up (SIGKILL): see bench/watchdog.js.
  const watchdog = spawn(process.execPath, [path.join(BENCH, 'watchdog.js'), PIDS_FILE], { cwd: ROOT, stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  watchdog.unref();
  watchdog.stdin.unref();
  const date = new Date();
  const tmpDir = path.join(RESULTS, `run-${stamp(date)}-${process.pid}.tmp`);
  fs.mkdirSync(tmpDir, { recursive: true });
  runTmpDir = tmpDir;
  const ctx = { tmpDir, messages: messages() };

  const adminUrl = new URL(CFG.databaseUrl);
  adminUrl.pathname = '/postgres';
  const pg = new Client({ connectionString: adminUrl.toString() });
  await pg.connect();
  const redis = new Redis(CFG.redisUrl, { maxRetriesPerRequest: 2, lazyConnect: true });
  await redis.connect();
  ctx.redis = redis;
  let ok = false;
  try {
    const meta = await machineInfo(pg, redis);
    Object.assign(meta, { date: date.toISOString(), logLevel: CFG.logLevel, settings: { ...CFG, scenarios: [...CFG.scenarios] } });
    say(`commit ${meta.commit}, ${meta.machine.cpus} CPUs, Node ${meta.versions.node}, PostgreSQL ${meta.versions.postgres}, Redis ${meta.versions.redis}`);
    await resetDatabase(pg);
    const deleted = await resetRedis(redis);
    say(`database ${dbName(CFG.databaseUrl)} dropped (re-created by the gateway); ${deleted} Redis keys under ${CFG.redisPrefix}: removed`);

    ctx.upstream = await startServer('fake-upstream', 'fake-upstream.js', ['--port', '0']);
    ctx.bare = await startServer('bare-proxy', 'bare-proxy.js', ['--port', '0', '--upstream', `http://127.0.0.1:${ctx.upstream.port}`]);
    ctx.catalogFile = path.join(tmpDir, 'catalog.yaml');
    fs.writeFileSync(ctx.catalogFile, catalogYaml(ctx.upstream.port));
    say(`fake upstream :${ctx.upstream.port}, bare proxy :${ctx.bare.port}; starting the gateway`);
    ctx.gateway = await startGateway(ctx, CFG.logLevel, CFG.logLevel);
    say(`gateway :${ctx.gateway.port} (pid ${ctx.gateway.proc.pid}) healthy; creating accounts`);
    if (CFG.separateWorker) say(`queue processors in a separate worker (pid ${(await startWorker(ctx)).proc.pid})`);

    const n = CFG.contentionKeys;
    const pad = (i) => String(i).padStart(3, '0');
    const plan = {
      users: [
        { email: MAIN_EMAIL, password: 'bench password 1', credits: '1000000', keys: Array.from({ length: n }, (_, i) => `bench-${i + 1}`) },
        ...Array.from({ length: n }, (_, i) => ({ email: `bench-u${pad(i + 1)}@example.com`, credits: '1000000', keys: ['bench'] })),
      ],
    };
    const acc = await new Promise((resolve, reject) => {
      const proc = spawn(process.execPath, [path.join(BENCH, 'accounts.js'), JSON.stringify(plan)], {
        cwd: ROOT,
        env: { ...gatewayEnv(0, ctx.catalogFile, 'warn'), WORKERS_ENABLED: 'false' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const child = track('accounts', proc);
      let out = '';
      let err = '';
      proc.stdout.on('data', (d) => (out += d));
      proc.stderr.on('data', (d) => (err += d));
      const timer = setTimeout(() => proc.kill('SIGKILL'), 600_000);
      child.exited.then(({ code }) => {
        clearTimeout(timer);
        if (code !== 0) return reject(new Error(`accounts.js exited ${code}: ${err}`));
        resolve(JSON.parse(out.trim().split('\n').pop()).keys);
      });
    });
    ctx.oneUserKeys = acc[MAIN_EMAIL];
    ctx.mainKey = ctx.oneUserKeys[0];
    ctx.manyUserKeys = plan.users.slice(1).map((u) => acc[u.email][0]);
    say(`${ctx.oneUserKeys.length + ctx.manyUserKeys.length} keys on ${plan.users.length} users`);

    ctx.benchDb = new Client({ connectionString: CFG.databaseUrl });
    await ctx.benchDb.connect();
    if (CFG.pgSampleMs) {
      ctx.pgSampler = new Client({ connectionString: CFG.databaseUrl });
      await ctx.pgSampler.connect();
      ctx.pgSamplerPid = (await ctx.pgSampler.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    }

    // Warm-up: every target, both shapes, until the JIT and the pools have settled.
    say('warm-up');
    for (const t of TARGETS) {
      await loadRun(ctx, t, 'fast', 8, 2, 0);
      await runJson('latency-client.js', { ...targetRequest(ctx, t, 'stream', true), stream: true, concurrency: 8, seconds: 1, warmupSeconds: 0 }, 60_000);
    }
    await drain(ctx.benchDb, redis, 'warm-up');

    if (CFG.scenarios.has('profile')) {
      await profileMode(ctx, date);
      ok = true;
      return;
    }
    const runs = await measureRuns(ctx, '');
    const figures = figuresFor(runs);

    let warn = null;
    if (CFG.alsoWarn && CFG.logLevel !== 'warn') {
      say('second pass: gateway with LOG_LEVEL=warn (scenarios 1 and 2)');
      await stopChild(ctx.gateway);
      ctx.gateway = await startGateway(ctx, 'warn', 'warn');
      for (const t of TARGETS) await loadRun(ctx, t, 'fast', 8, 2, 0);
      const saved = CFG.scenarios;
      CFG.scenarios = new Set(['1', '2']);
      const wRuns = await measureRuns(ctx, 'LOG_LEVEL=warn');
      CFG.scenarios = saved;
      warn = { runs: wRuns, figures: figuresFor(wRuns).filter((f) => f.section.startsWith('1.') || f.section.startsWith('2.')) };
    }

    // Checks: every request the gateway answered was settled and recorded, and the ledger balances.
    const checks = [];
    const d = await drain(ctx.benchDb, redis, 'the end');
    const counts = (
      await ctx.benchDb.query(
        "SELECT (SELECT count(*) FROM credit_holds)::int AS holds, (SELECT count(*) FROM credit_holds WHERE status = 'open')::int AS open, (SELECT count(*) FROM generations)::int AS generations",
      )
    ).rows[0];
    checks.push(
      `${counts.holds} holds, ${counts.open} still open after the drain${counts.open ? ' (their settlement failed: see the gateway log lines below; the sweeper settles them after HOLD_TTL_MS)' : ''}; ${counts.generations} generation records (${counts.generations === counts.holds ? 'one per hold' : 'MISMATCH with holds'}).`,
    );
    if (!d.ok) checks.push(`NOT drained after ${CFG.drainTimeoutS} s: ${d.waiting} generation jobs waiting, ${d.active} running.`);
    for (const logFile of ctx.logFiles) for (const p of loggedProblems(logFile)) checks.push(`Gateway log ${path.basename(logFile)}: ${p}`);
    const idle = runs.map((r) => r.s4 && r.s4.gatewayIdle).filter((v) => v !== undefined && v !== null);
    if (idle.length > 1) {
      const heap = runs.map((r) => r.s4 && r.s4.gatewayHeap && r.s4.gatewayHeap.heapUsedMb);
      checks.push(`Gateway idle RSS at the start of each run: ${idle.join(' → ')} MB; V8 heap used: ${heap.join(' → ')} MB (growth across runs is memory kept after load).`);
    }
    const failedFigures = [...figures, ...(warn ? warn.figures : [])].filter((f) => f.id.endsWith('.failed') && f.max > 0);
    for (const f of failedFigures) checks.push(`Failed requests in ${f.label}: ${f.values.join(' / ')}.`);
    checks.push(`ledger:check: ${ledgerCheck(ctx)}`);
    const logBytes = fs.statSync(ctx.gateway.logFile).size;
    checks.push(`Gateway log (LOG_LEVEL=${CFG.alsoWarn ? 'warn, last pass' : CFG.logLevel}): ${round(logBytes / 2 ** 20, 1)} MB written.`);
    await stopChild(ctx.gateway);
    if (CFG.cpuProfDir) checks.push(`CPU profile written under ${CFG.cpuProfDir}.`);

    const meta2 = { ...meta, durationSeconds: Math.round((Date.now() - started) / 1000) };
    const result = { meta: meta2, figures, runs, warn, checks };
    let base = path.join(RESULTS, stamp(date));
    for (let i = 2; fs.existsSync(`${base}.json`); i++) base = path.join(RESULTS, `${stamp(date)}-${i}`);
    fs.writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
    const md = markdown(result);
    fs.writeFileSync(`${base}.md`, md);
    process.stdout.write(`\n${md}\n`);
    say(`written ${path.relative(ROOT, base)}.json and .md`);
    ok = true;
  } finally {
    await Promise.all([...children].map((c) => stopChild(c, 5000)));
    await pg.end().catch(() => {});
    if (ctx.benchDb) await ctx.benchDb.end().catch(() => {});
    if (ctx.pgSampler) await ctx.pgSampler.end().catch(() => {});
    redis.disconnect();
    if (ok && !CFG.keepLogs) fs.rmSync(tmpDir, { recursive: true, force: true });
    else say(`logs kept in ${path.relative(ROOT, tmpDir)}`);
    fs.rmSync(PIDS_FILE, { force: true });
  }
}

/** `node bench/run.js --render <result.json>`: recomputes the figures of a result and rewrites its .json and .md. */
function render(file) {
  const result = JSON.parse(fs.readFileSync(file, 'utf8'));
  const settings = result.meta.settings || {};
  for (const k of Object.keys(CFG)) if (k in settings && k !== 'scenarios') CFG[k] = settings[k];
  result.figures = figuresFor(result.runs);
  if (result.warn) result.warn.figures = figuresFor(result.warn.runs).filter((f) => f.section.startsWith('1.') || f.section.startsWith('2.'));
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  const md = markdown(result);
  fs.writeFileSync(file.replace(/\.json$/, '.md'), md);
  process.stdout.write(`${md}\n`);
}

if (process.argv[2] === '--render') {
  render(process.argv[3]);
  process.exit(0);
}

main().then(
  () => process.exit(0),
  (err) => {
    say(`FAILED: ${err.stack || err}`);
    killAllSync();
    process.exit(1);
  },
);
