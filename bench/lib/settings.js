'use strict';
/** What every part of the harness shares: paths, the BENCH_* settings (CFG), logging and small helpers. */
const { setTimeout } = require('node:timers');
const path = require('node:path');

const BENCH = path.resolve(__dirname, '..');
const ROOT = path.resolve(BENCH, '..');
const RESULTS = path.join(BENCH, 'results');
// One per harness: a watchdog still finishing off an earlier run must not find this run's children.
const PIDS_FILE = path.join(RESULTS, `children-${process.pid}.pids.tmp`);

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
  // Without BENCH_REDIS_URL the bench starts a Redis server of its own (its CPU and commands are the gateway's alone).
  redisUrl: env.BENCH_REDIS_URL || '',
  externalRedis: Boolean(env.BENCH_REDIS_URL),
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

/** `YYYY-MM-DD-HHMM` in local time, for result file names. */
function stamp(d) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}`;
}

module.exports = { ROOT, BENCH, RESULTS, PIDS_FILE, env, num, CFG, UPSTREAM_KEY, MAIN_EMAIL, started, say, sleep, round, stamp };
