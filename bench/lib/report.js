'use strict';
/** The Markdown report of a result. */
const { CFG } = require('./settings');

function fmt(v, unit) {
  if (v === null || v === undefined) return '–';
  if (unit === 'rps' || unit === 'conn' || unit === 'n' || unit === '%')
    return String(Math.round(v * (unit === '%' ? 10 : 1)) / (unit === '%' ? 10 : 1));
  if (unit === 'MB' || unit === 'n1') return v.toFixed(1);
  if (unit === 'x') return v.toFixed(2);
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(3);
}

function table(figures) {
  const lines = [];
  let section = null;
  for (const f of figures) {
    if (f.section !== section) {
      section = f.section;
      lines.push(
        '',
        `### ${section}`,
        '',
        '| figure | unit | min | median | max | target | result |',
        '| --- | --- | ---: | ---: | ---: | --- | --- |',
      );
    }
    const result = f.target ? (f.pass ? (f.passEveryRun ? 'PASS' : 'PASS (median; not every run)') : 'FAIL') : '';
    lines.push(
      `| ${f.label} | ${f.unit} | ${fmt(f.min, f.unit)} | ${fmt(f.median, f.unit)} | ${fmt(f.max, f.unit)} | ${f.target || ''} | ${result} |`,
    );
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

/** The headline comparison (medians): added latency at concurrency 1, sustained RPS, CPU per request. */
function summary(figures) {
  const f = Object.fromEntries(figures.map((x) => [x.id, x.median]));
  const v = (id, unit = 'ms') => fmt(f[id], unit);
  const rows = [
    ['bare proxy', v('s1.bare.added.p50'), v('s1.bare.added.p99'), v('s2.bare.rps', 'rps'), v('s2.bare.cpuMsPerRequest')],
    [
      'Portkey (no auth, no billing; non-streaming)',
      v('s1.portkey.added.p50'),
      v('s1.portkey.added.p99'),
      v('s2.portkey.rps', 'rps'),
      v('s2.portkey.cpuMsPerRequest'),
    ],
    [
      'Switchyard (auth, hold, settlement, records)',
      v('s1.gateway.added.p50'),
      v('s1.gateway.added.p99'),
      v('s2.gateway.rps', 'rps'),
      `${v('s2.gateway.cpuMsPerRequest')} own + ${v('s2.gateway.postgresCpuMsPerRequest')} Postgres + ${v('s2.gateway.redisCpuMsPerRequest')} Redis = ${v('s2.gateway.totalCpuMsPerRequest')}`,
    ],
  ];
  return [
    '| target | added p50 (c=1) | added p99 (c=1) | max RPS (p99 < limit) | CPU ms per request at best RPS |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    `Redis commands per gateway request: ${v('s1.gateway.redisCommandsPerRequest', 'n1')} at concurrency 1, ${v('s2.gateway.redisCommandsPerRequest', 'n1')} at best RPS. Portkey's streaming path fails on Node 20 (every stream ends in {"status":"failure"}), so it is left out of scenario 3.`,
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

## Summary (medians)

${summary(result.figures)}

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

module.exports = { markdown };
