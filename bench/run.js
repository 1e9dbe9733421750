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
const { setTimeout, clearTimeout } = require('node:timers');
const { URL } = require('node:url');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, BENCH, RESULTS, PIDS_FILE, CFG, MAIN_EMAIL, started, say, sleep, round, stamp } = require('./lib/settings');
const { children, killStale, track, startServer, stopChild, runJson, killAllSync, setRunTmpDir } = require('./lib/children');
const { machineInfo } = require('./lib/machine');
const { dbName, resetDatabase, resetRedis, drain, loggedProblems } = require('./lib/stores');
const { rssMb, gatewayHeap } = require('./lib/proc-sampling');
const {
  catalogYaml,
  gatewayEnv,
  startGateway,
  startWorker,
  startPortkey,
  startRedis,
  messages,
  targetRequest,
  TARGETS,
  STREAM_TARGETS,
  ledgerCheck,
} = require('./lib/sut');
const { loadRun, scenario1, scenario2, scenario3, scenario5 } = require('./lib/scenarios');
const { figuresFor } = require('./lib/figures');
const { markdown } = require('./lib/report');
const { profileMode } = require('./lib/profile');

// ---- main --------------------------------------------------------------------------------------

async function measureRuns(ctx, label) {
  const runs = [];
  let prevS2 = null;
  for (let run = 0; run < CFG.runs; run++) {
    say(`run ${run + 1}/${CFG.runs}${label ? ` (${label})` : ''}`);
    const r = { run: run + 1 };
    if (CFG.scenarios.has('4')) {
      await sleep(1000);
      r.s4 = { gatewayIdle: rssMb(ctx.gateway.proc.pid), bareIdle: rssMb(ctx.bare.proc.pid), gatewayHeap: await gatewayHeap(ctx) };
      say(
        `  S4 idle RSS gateway ${r.s4.gatewayIdle} MB (V8 heap used ${r.s4.gatewayHeap.heapUsedMb} MB of ${r.s4.gatewayHeap.heapTotalMb}), bare proxy ${r.s4.bareIdle} MB`,
      );
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
  if (!fs.existsSync(path.join(ROOT, 'dist', 'src', 'main.js')))
    throw new Error('dist/src/main.js is missing: run `npm run build` (npm run bench does)');
  fs.mkdirSync(RESULTS, { recursive: true });
  killStale();
  // Stops our children if this process dies without cleaning up (SIGKILL): see bench/watchdog.js.
  const watchdog = spawn(process.execPath, [path.join(BENCH, 'watchdog.js'), PIDS_FILE], {
    cwd: ROOT,
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  watchdog.unref();
  watchdog.stdin.unref();
  const date = new Date();
  const tmpDir = path.join(RESULTS, `run-${stamp(date)}-${process.pid}.tmp`);
  fs.mkdirSync(tmpDir, { recursive: true });
  setRunTmpDir(tmpDir);
  const ctx = { tmpDir, messages: messages() };

  const adminUrl = new URL(CFG.databaseUrl);
  adminUrl.pathname = '/postgres';
  const pg = new Client({ connectionString: adminUrl.toString() });
  await pg.connect();
  if (!CFG.externalRedis) {
    ctx.redisServer = await startRedis(ctx);
    CFG.redisUrl = `redis://127.0.0.1:${ctx.redisServer.port}`;
  }
  const redis = new Redis(CFG.redisUrl, { maxRetriesPerRequest: 2, lazyConnect: true });
  await redis.connect();
  ctx.redis = redis;
  let ok = false;
  try {
    const meta = await machineInfo(pg, redis);
    Object.assign(meta, { date: date.toISOString(), logLevel: CFG.logLevel, settings: { ...CFG, scenarios: [...CFG.scenarios] } });
    say(
      `commit ${meta.commit}, ${meta.machine.cpus} CPUs, Node ${meta.versions.node}, PostgreSQL ${meta.versions.postgres}, Redis ${meta.versions.redis}`,
    );
    await resetDatabase(pg);
    const deleted = await resetRedis(redis);
    say(`database ${dbName(CFG.databaseUrl)} dropped (re-created by the gateway); ${deleted} Redis keys under ${CFG.redisPrefix}: removed`);

    ctx.upstream = await startServer('fake-upstream', 'fake-upstream.js', ['--port', '0']);
    ctx.bare = await startServer('bare-proxy', 'bare-proxy.js', ['--port', '0', '--upstream', `http://127.0.0.1:${ctx.upstream.port}`]);
    ctx.portkey = await startPortkey(ctx);
    ctx.catalogFile = path.join(tmpDir, 'catalog.yaml');
    fs.writeFileSync(ctx.catalogFile, catalogYaml(ctx.upstream.port));
    say(
      `fake upstream :${ctx.upstream.port}, bare proxy :${ctx.bare.port}, Portkey :${ctx.portkey.port}, Redis ${CFG.redisUrl}; starting the gateway`,
    );
    ctx.gateway = await startGateway(ctx, CFG.logLevel, CFG.logLevel);
    say(`gateway :${ctx.gateway.port} (pid ${ctx.gateway.proc.pid}) healthy; creating accounts`);
    if (CFG.separateWorker) say(`queue processors in a separate worker (pid ${(await startWorker(ctx)).proc.pid})`);

    const n = CFG.contentionKeys;
    const pad = (i) => String(i).padStart(3, '0');
    const plan = {
      users: [
        {
          email: MAIN_EMAIL,
          password: 'bench password 1',
          credits: '1000000',
          keys: Array.from({ length: n }, (_, i) => `bench-${i + 1}`),
        },
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
      if (STREAM_TARGETS.includes(t))
        await runJson(
          'latency-client.js',
          { ...targetRequest(ctx, t, 'stream', true), stream: true, concurrency: 8, seconds: 1, warmupSeconds: 0 },
          60_000,
        );
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
      checks.push(
        `Gateway idle RSS at the start of each run: ${idle.join(' → ')} MB; V8 heap used: ${heap.join(' → ')} MB (growth across runs is memory kept after load).`,
      );
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
    // Before the bench's own Redis server stops.
    redis.disconnect();
    await Promise.all([...children].map((c) => stopChild(c, 5000)));
    await pg.end().catch(() => {});
    if (ctx.benchDb) await ctx.benchDb.end().catch(() => {});
    if (ctx.pgSampler) await ctx.pgSampler.end().catch(() => {});
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
  if (result.warn)
    result.warn.figures = figuresFor(result.warn.runs).filter((f) => f.section.startsWith('1.') || f.section.startsWith('2.'));
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
