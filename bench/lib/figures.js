'use strict';
/** Every reported figure, computed per run from the raw results and summarised over the runs. */
const { CFG } = require('./settings');
const { CPU_COUNT, GATEWAY_PHASES } = require('./proc-sampling');
const { PG_STATES } = require('./pg-waits');

const median = (xs) => {
  const s = xs.filter((x) => x !== null && x !== undefined && !Number.isNaN(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const stats = (xs) => {
  const v = xs.filter((x) => x !== null && x !== undefined && !Number.isNaN(x));
  return v.length
    ? { min: Math.min(...v), median: median(v), max: Math.max(...v), values: xs }
    : { min: null, median: null, max: null, values: xs };
};
const div = (a, b) => (a === null || b === null || b === undefined || a === undefined || b === 0 ? null : a / b);
const sumOf = (xs) => (xs.some((x) => x === null || x === undefined) ? null : xs.reduce((a, b) => a + b, 0));
/** Redis commands (INFO commandstats delta) per request the gateway answered. */
const commandsPer = (x) => {
  if (!x || !x.redisCommands || !x.gatewayRequests) return null;
  return Object.values(x.redisCommands).reduce((a, b) => a + b, 0) / x.gatewayRequests;
};
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
    add(S1, `s1.portkey.${p}`, `Portkey ${p}`, 'ms', (r) => s1(r, 'portkey', p));
    add(S1, `s1.gateway.${p}`, `gateway ${p}`, 'ms', (r) => s1(r, 'gateway', p));
    add(S1, `s1.bare.added.${p}`, `bare proxy added ${p} (vs direct)`, 'ms', (r) => sub(s1(r, 'bare', p), s1(r, 'direct', p)));
    add(S1, `s1.portkey.added.${p}`, `Portkey added ${p} (vs direct)`, 'ms', (r) => sub(s1(r, 'portkey', p), s1(r, 'direct', p)));
    add(
      S1,
      `s1.gateway.added.${p}`,
      `gateway added ${p} (vs direct)`,
      'ms',
      (r) => sub(s1(r, 'gateway', p), s1(r, 'direct', p)),
      p === 'p50' ? { op: '<=', value: 1 } : { op: '<=', value: 3 },
    );
    add(S1, `s1.ratio.${p}`, `ratio gateway/bare proxy, ${p} latency`, 'x', (r) => div(s1(r, 'gateway', p), s1(r, 'bare', p)));
  }
  const s1CpuMs = (t, k) => (r) => {
    const x = r.s1 && r.s1[t];
    const pct = x && (k ? x.serviceCpuPct && x.serviceCpuPct[k] : x.processCpuPct);
    return pct === null || pct === undefined || !x.rps ? null : (pct * 10) / x.rps;
  };
  // The gateway's figures divide by the requests it counted (its /metrics), the others' by their RPS.
  const gwMs = (x, k) => x && x.cpuMsPerRequest && x.cpuMsPerRequest[k];
  const s1Gw = (k) => (r) => gwMs(r.s1 && r.s1.gateway, k) ?? s1CpuMs('gateway', k === 'gateway' ? undefined : k)(r);
  add(S1, 's1.bare.cpuMsPerRequest', 'bare proxy CPU time per request', 'ms', s1CpuMs('bare'));
  add(S1, 's1.portkey.cpuMsPerRequest', 'Portkey CPU time per request', 'ms', s1CpuMs('portkey'));
  add(S1, 's1.gateway.cpuMsPerRequest', 'gateway CPU time per request (settlement and records included)', 'ms', s1Gw('gateway'));
  add(S1, 's1.gateway.postgresCpuMsPerRequest', 'Postgres CPU time per gateway request', 'ms', s1Gw('postgres'));
  add(S1, 's1.gateway.redisCpuMsPerRequest', 'Redis CPU time per gateway request', 'ms', s1Gw('redis'));
  add(S1, 's1.gateway.totalCpuMsPerRequest', 'gateway + Postgres + Redis CPU time per request', 'ms', (r) =>
    sumOf(['gateway', 'postgres', 'redis'].map((k) => s1Gw(k)(r))),
  );
  add(S1, 's1.gateway.redisCommandsPerRequest', 'Redis commands per gateway request', 'n1', (r) => commandsPer(r.s1 && r.s1.gateway));
  // Where the gateway's time goes, from its Server-Timing header: the rest of "added" is outside
  // the handler's reach (sockets, HTTP parsing and writing, process wake-ups).
  for (const name of GATEWAY_PHASES) {
    for (const p of ['p50', 'p99']) {
      add(
        S1,
        `s1.gateway.phase.${name}.${p}`,
        `gateway phase "${name}" ${p} (Server-Timing)`,
        'ms',
        (r) => r.s1 && r.s1.gateway.phases && r.s1.gateway.phases[name] && r.s1.gateway.phases[name][p],
      );
    }
  }
  // Where the gateway's Postgres statements spend their time (sampled from pg_stat_activity).
  const waitShare = (w, stmt, st) => {
    const n = w && w[stmt] ? PG_STATES.reduce((a, k) => a + w[stmt][k], 0) : 0;
    return n ? (100 * w[stmt][st]) / n : null;
  };
  const waitFigures = (section, prefix, get) => {
    for (const stmt of ['hold', 'settle']) {
      for (const [st, what] of [
        ['cpu', 'running'],
        ['lock', 'waiting for a row lock'],
        ['wal', 'waiting for its WAL flush'],
      ]) {
        add(
          section,
          `${prefix}.pg.${stmt}.${st}`,
          `Postgres ${stmt}${prefix === 's2' ? ' at best' : ''}: ${what} (% of its samples)`,
          '%',
          (r) => waitShare(get(r), stmt, st),
        );
      }
    }
  };
  waitFigures(S1, 's1', (r) => r.s1 && r.s1.gateway.pgWaits);
  const keysNote = CFG.keys === 'spread' ? `gateway load spread over ${CFG.contentionKeys} users' keys` : 'gateway load on one key';
  const S2 = `2. Throughput, upstream ${CFG.upstreamLatencyMs} ms, p99 < ${CFG.p99LimitMs} ms (${keysNote})`;
  const best = (r, t, f) => r.s2 && r.s2[t].best && f(r.s2[t].best);
  add(S2, 's2.bare.rps', 'bare proxy max sustained RPS', 'rps', (r) => best(r, 'bare', (b) => b.rps));
  add(S2, 's2.gateway.rps', 'gateway max sustained RPS', 'rps', (r) => best(r, 'gateway', (b) => b.rps));
  add(S2, 's2.portkey.rps', 'Portkey max sustained RPS', 'rps', (r) => best(r, 'portkey', (b) => b.rps));
  add(
    S2,
    's2.ratio.rps',
    'ratio gateway/bare proxy RPS',
    'x',
    (r) =>
      div(
        best(r, 'gateway', (b) => b.rps),
        best(r, 'bare', (b) => b.rps),
      ),
    { op: '>=', value: 0.5 },
  );
  add(
    S2,
    's2.ratio.portkeyRps',
    'ratio gateway/Portkey RPS',
    'x',
    (r) =>
      div(
        best(r, 'gateway', (b) => b.rps),
        best(r, 'portkey', (b) => b.rps),
      ),
    { op: '>=', value: 1.25 },
  );
  add(S2, 's2.bare.connections', 'bare proxy connections at best', 'conn', (r) => best(r, 'bare', (b) => b.connections));
  add(S2, 's2.gateway.connections', 'gateway connections at best', 'conn', (r) => best(r, 'gateway', (b) => b.connections));
  add(S2, 's2.gateway.p99', 'gateway p99 at best', 'ms', (r) => best(r, 'gateway', (b) => b.latency.p99));
  add(S2, 's2.gateway.cpu', 'gateway process CPU at best (100% = one core)', '%', (r) => best(r, 'gateway', (b) => b.processCpuPct));
  add(S2, 's2.bare.cpu', 'bare proxy process CPU at best', '%', (r) => best(r, 'bare', (b) => b.processCpuPct));
  const cpuMs = (b) => (b.processCpuPct === null || !b.rps ? null : (b.processCpuPct * 10) / b.rps);
  add(S2, 's2.bare.cpuMsPerRequest', 'bare proxy CPU time per request at best', 'ms', (r) => best(r, 'bare', cpuMs));
  add(S2, 's2.portkey.cpuMsPerRequest', 'Portkey CPU time per request at best', 'ms', (r) => best(r, 'portkey', cpuMs));
  add(S2, 's2.gateway.cpuMsPerRequest', 'gateway CPU time per request at best', 'ms', (r) =>
    best(r, 'gateway', (b) => gwMs(b, 'gateway') ?? cpuMs(b)),
  );
  add(S2, 's2.ratio.cpuMsPerRequest', 'ratio gateway/bare proxy CPU time per request', 'x', (r) =>
    div(best(r, 'gateway', cpuMs), best(r, 'bare', cpuMs)),
  );
  // Where the machine's CPU goes per gateway request: Postgres and Redis share the cores here.
  const serviceMs = (k) => (b) => (!b.serviceCpuPct || !b.rps ? null : (b.serviceCpuPct[k] * 10) / b.rps);
  const machineMs = (b) => (!b.rps ? null : (b.machineBusyPct * CPU_COUNT * 10) / b.rps);
  const gwService = (k) => (b) => gwMs(b, k) ?? serviceMs(k)(b);
  add(S2, 's2.gateway.postgresCpuMsPerRequest', 'Postgres CPU time per gateway request at best', 'ms', (r) =>
    best(r, 'gateway', gwService('postgres')),
  );
  add(S2, 's2.gateway.redisCpuMsPerRequest', 'Redis CPU time per gateway request at best', 'ms', (r) =>
    best(r, 'gateway', gwService('redis')),
  );
  const totalMs = (b) => sumOf([gwMs(b, 'gateway') ?? cpuMs(b), gwService('postgres')(b), gwService('redis')(b)]);
  add(S2, 's2.gateway.totalCpuMsPerRequest', 'gateway + Postgres + Redis CPU time per request at best', 'ms', (r) =>
    best(r, 'gateway', totalMs),
  );
  add(
    S2,
    's2.ratio.totalCpuPortkey',
    'ratio gateway+Postgres+Redis / Portkey CPU time per request',
    'x',
    (r) => div(best(r, 'gateway', totalMs), best(r, 'portkey', cpuMs)),
    { op: '<=', value: 1 },
  );
  add(S2, 's2.gateway.redisCommandsPerRequest', 'Redis commands per gateway request at best', 'n1', (r) => best(r, 'gateway', commandsPer));
  if (CFG.separateWorker)
    add(S2, 's2.gateway.workerCpuMsPerRequest', 'separate worker CPU time per gateway request at best', 'ms', (r) =>
      best(r, 'gateway', serviceMs('worker')),
    );
  add(S2, 's2.bare.machineCpuMsPerRequest', 'machine CPU time per bare proxy request at best (all processes)', 'ms', (r) =>
    best(r, 'bare', machineMs),
  );
  add(S2, 's2.gateway.machineCpuMsPerRequest', 'machine CPU time per gateway request at best (all processes)', 'ms', (r) =>
    best(r, 'gateway', machineMs),
  );
  // A gateway costing nothing itself would still be bound by its database: this is that bound.
  add(S2, 's2.gateway.postgresBoundRps', `RPS if Postgres had all ${CPU_COUNT} cores to itself`, 'rps', (r) => {
    const ms = best(r, 'gateway', gwService('postgres'));
    return ms ? (CPU_COUNT * 1000) / ms : null;
  });
  waitFigures(S2, 's2', (r) => best(r, 'gateway', (b) => b.pgWaits));
  const S3 = `3. Streaming, ${CFG.streamChunks} chunks ${CFG.streamGapMs} ms apart, upstream 0 ms (c > 1: ${keysNote})`;
  const s3 = (r, c, t, m, p) => r.s3 && r.s3[c] && r.s3[c][t][m][p];
  for (const c of [c1, cN].filter((x, i, a) => x !== undefined && a.indexOf(x) === i)) {
    add(S3, `s3.c${c}.direct.ttft.p50`, `c=${c} direct TTFT p50`, 'ms', (r) => s3(r, c, 'direct', 'ttft', 'p50'));
    add(S3, `s3.c${c}.bare.ttft.p50`, `c=${c} bare proxy TTFT p50`, 'ms', (r) => s3(r, c, 'bare', 'ttft', 'p50'));
    add(S3, `s3.c${c}.gateway.ttft.p50`, `c=${c} gateway TTFT p50`, 'ms', (r) => s3(r, c, 'gateway', 'ttft', 'p50'));
    add(S3, `s3.c${c}.bare.added.ttft.p50`, `c=${c} bare proxy added TTFT p50`, 'ms', (r) =>
      sub(s3(r, c, 'bare', 'ttft', 'p50'), s3(r, c, 'direct', 'ttft', 'p50')),
    );
    add(
      S3,
      `s3.c${c}.gateway.added.ttft.p50`,
      `c=${c} gateway added TTFT p50`,
      'ms',
      (r) => sub(s3(r, c, 'gateway', 'ttft', 'p50'), s3(r, c, 'direct', 'ttft', 'p50')),
      c === c1 ? { op: '<=', value: 1 } : undefined,
    );
    add(S3, `s3.c${c}.gateway.added.ttft.p99`, `c=${c} gateway added TTFT p99`, 'ms', (r) =>
      sub(s3(r, c, 'gateway', 'ttft', 'p99'), s3(r, c, 'direct', 'ttft', 'p99')),
    );
    add(S3, `s3.c${c}.ratio.ttft.p50`, `c=${c} ratio gateway/bare proxy TTFT p50`, 'x', (r) =>
      div(s3(r, c, 'gateway', 'ttft', 'p50'), s3(r, c, 'bare', 'ttft', 'p50')),
    );
    add(S3, `s3.c${c}.bare.added.gap.p50`, `c=${c} bare proxy added inter-chunk gap p50`, 'ms', (r) =>
      sub(s3(r, c, 'bare', 'gap', 'p50'), s3(r, c, 'direct', 'gap', 'p50')),
    );
    add(
      S3,
      `s3.c${c}.gateway.added.gap.p50`,
      `c=${c} gateway added inter-chunk gap p50`,
      'ms',
      (r) => sub(s3(r, c, 'gateway', 'gap', 'p50'), s3(r, c, 'direct', 'gap', 'p50')),
      c === c1 ? { op: '<=', value: 1 } : undefined,
    );
    add(S3, `s3.c${c}.bare.added.gap.p99`, `c=${c} bare proxy added inter-chunk gap p99`, 'ms', (r) =>
      sub(s3(r, c, 'bare', 'gap', 'p99'), s3(r, c, 'direct', 'gap', 'p99')),
    );
    add(S3, `s3.c${c}.gateway.added.gap.p99`, `c=${c} gateway added inter-chunk gap p99`, 'ms', (r) =>
      sub(s3(r, c, 'gateway', 'gap', 'p99'), s3(r, c, 'direct', 'gap', 'p99')),
    );
    add(
      S3,
      `s3.c${c}.gateway.coalesced`,
      `c=${c} gateway chunks batched with the previous one`,
      '%',
      (r) => r.s3 && r.s3[c] && 100 * div(r.s3[c].gateway.coalesced, r.s3[c].gateway.contentEvents),
      c === c1 ? { op: '<=', value: 1 } : undefined,
    );
    add(
      S3,
      `s3.c${c}.direct.coalesced`,
      `c=${c} direct chunks batched with the previous one`,
      '%',
      (r) => r.s3 && r.s3[c] && 100 * div(r.s3[c].direct.coalesced, r.s3[c].direct.contentEvents),
    );
  }
  const S4 = '4. Memory (VmRSS)';
  add(S4, 's4.gateway.idle', 'gateway RSS idle (after warm-up)', 'MB', (r) => r.s4 && r.s4.gatewayIdle);
  add(S4, 's4.gateway.peak', 'gateway RSS peak under scenario 2', 'MB', (r) => r.s2 && r.s2.gateway.peakRssMb, { op: '<=', value: 250 });
  add(
    S4,
    's4.gateway.heapUsed',
    'gateway V8 heap used, idle (its /metrics)',
    'MB',
    (r) => r.s4 && r.s4.gatewayHeap && r.s4.gatewayHeap.heapUsedMb,
  );
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
  add(S5, 's5.ratio.keys', `ratio RPS ${vk} / one key`, 'x', (r) =>
    div(
      s5(r, vk, (x) => x.rps),
      s5(r, v1, (x) => x.rps),
    ),
  );
  add(S5, 's5.ratio.users', `ratio RPS ${vu} / one key`, 'x', (r) =>
    div(
      s5(r, vu, (x) => x.rps),
      s5(r, v1, (x) => x.rps),
    ),
  );
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

module.exports = { figuresFor };
