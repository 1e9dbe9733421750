'use strict';
/** What the gateway's Postgres statements spend their time on, sampled from pg_stat_activity. */
const { CFG, sleep } = require('./settings');
const { dbName } = require('./stores');
const { cpuTicks } = require('./proc-sampling');

/** The gateway's statements whose time is worth splitting, by what their text starts with. */
const PG_STATEMENTS = [
  ['hold', /sy_hold/],
  ['settle', /sy_settle/],
  ['records', /^INSERT INTO generations|jsonb_populate_recordset\(NULL::"?generations/],
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

module.exports = { PG_STATES, pgWaitsText, withPgWaits };
