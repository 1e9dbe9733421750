'use strict';
/** BENCH_SCENARIOS=profile: one CPU profile of the gateway under steady load. */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, BENCH, RESULTS, num, CFG, say, stamp } = require('./settings');
const { stopChild } = require('./children');
const { drain } = require('./stores');
const { withCpu } = require('./proc-sampling');
const { spreadKeys, loadRun } = require('./scenarios');

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
  const r = await withCpu(ctx, ctx.gateway.proc.pid, () =>
    loadRun(ctx, 'gateway', 'slow', connections, seconds, 0, spreadKeys(ctx, 'gateway', connections)),
  );
  say(
    `  ${Math.round(r.rps)} rps  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms  gateway cpu ${r.processCpuPct}%  postgres ${r.serviceCpuPct.postgres}%  redis ${r.serviceCpuPct.redis}%  machine ${r.machineBusyPct}%`,
  );
  const loadEnd = Date.now() - ctx.gateway.startedAt;
  await drain(ctx.benchDb, ctx.redis, 'profile');
  const before = new Set(fs.readdirSync(CFG.cpuProfDir));
  await stopChild(ctx.gateway);
  const file =
    fs.readdirSync(CFG.cpuProfDir).find((f) => f.endsWith('.cpuprofile') && !before.has(f)) ||
    fs
      .readdirSync(CFG.cpuProfDir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .sort()
      .pop();
  if (!file) throw new Error(`no .cpuprofile written in ${CFG.cpuProfDir}`);
  const full = path.join(CFG.cpuProfDir, file);
  const summary = execFileSync(
    process.execPath,
    [path.join(BENCH, 'profile-summary.js'), full, '--skip-ms', String(skipMs), '--top', '25'],
    { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 },
  );
  const header = `# Gateway CPU profile under load\n\nload: ${connections} connections (${CFG.keys === 'spread' ? `keys of ${CFG.contentionKeys} users` : 'one key'}), upstream ${CFG.upstreamLatencyMs} ms, ${seconds} s: ${Math.round(r.rps)} rps, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, gateway CPU ${r.processCpuPct}% (100% = one core), Postgres ${r.serviceCpuPct.postgres}%, Redis ${r.serviceCpuPct.redis}%, machine ${r.machineBusyPct}% busy; failed ${r.errors + r.non2xx + r.timeouts}.\nprofile window: ${skipMs} ms to ${loadEnd} ms after the gateway started (the rest of the profile is start-up, warm-up and shutdown).\n\n`;
  const out = path.join(RESULTS, `${stamp(date)}-profile.txt`);
  fs.writeFileSync(out, `${header}${summary}`);
  process.stdout.write(`${header}${summary}`);
  say(`profile ${full}; summary written to ${path.relative(ROOT, out)}`);
}

module.exports = { profileMode };
