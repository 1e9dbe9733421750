'use strict';
/** Postgres and Redis: reset before a run, drained between scenarios, and the gateway log's problems. */
const { URL } = require('node:url');
const fs = require('node:fs');
const { CFG, say, sleep } = require('./settings');

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
      say(
        `drain after ${label}: still ${open} open holds, ${waiting} waiting and ${active} active generation jobs after ${CFG.drainTimeoutS} s`,
      );
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
    if (
      !line.includes('"level":"warn"') &&
      !line.includes('"level":"error"') &&
      !line.includes('"level":"fatal"') &&
      !/"level":[4-6]0/.test(line)
    )
      continue;
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

module.exports = { dbName, resetDatabase, resetRedis, drain, loggedProblems };
