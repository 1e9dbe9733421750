#!/usr/bin/env node
'use strict';
/**
 * Console page times for a user with many generations: `npm run build && node bench/console-pages.js`.
 *
 * Starts the production build on a fresh database, signs a user up, writes BENCH_GENERATIONS
 * (default 100,000) generation records for them spread over 30 days, 3 keys, 2 apps and 6 models,
 * VACUUM ANALYZEs, then requests each console page BENCH_REQUESTS times one after another and
 * prints min / p50 / p95 in milliseconds as the client sees them on loopback (an upper bound of
 * the server's time: it includes the HTTP round trip). Drops its database at the end.
 */
const { spawn } = require('node:child_process');
const { setTimeout } = require('node:timers');
const { URL } = require('node:url');
const { fetch } = require('undici');
const net = require('node:net');
const path = require('node:path');
const { Client } = require('pg');

const ROOT = path.resolve(__dirname, '..');
const N = Number(process.env.BENCH_GENERATIONS || 100_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS || 40);
const ADMIN = process.env.BENCH_ADMIN_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const DB = `switchyard_console_bench_${process.pid}`;
const dbUrl = (() => {
  const u = new URL(ADMIN);
  u.pathname = `/${DB}`;
  return u.toString();
})();

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

async function waitHealthy(url) {
  for (let i = 0; i < 120; i++) {
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('gateway did not start');
}

async function main() {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: dbUrl,
      REDIS_KEY_PREFIX: `console-bench-${process.pid}`,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const admin = new Client({ connectionString: ADMIN });
  try {
    await waitHealthy(url);
    const email = `bench-${process.pid}@example.com`;
    const signUp = await fetch(`${url}/api/v1/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'bench password 1' }),
    });
    const cookie = signUp.headers.get('set-cookie').split(';')[0];
    const { data: user } = await signUp.json();
    for (const name of ['one', 'two', 'three']) {
      await fetch(`${url}/api/v1/keys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie },
        body: JSON.stringify({ name }),
      });
    }
    const db = new Client({ connectionString: dbUrl });
    await db.connect();
    const t0 = Date.now();
    await db.query(
      `INSERT INTO generations (id, user_id, key_id, request_id, api_type, requested_model, model, provider_slug, provider_name,
         tokens_prompt, tokens_completion, cost_nanos, hold_nanos, latency_ms, app_id, error_code, attempts, created_at)
       SELECT 'gen-bench' || i, $1, (SELECT id FROM api_keys WHERE user_id = $1 ORDER BY id OFFSET (i % 3) LIMIT 1), 'r' || i, 'completions',
              'bench/model-' || (i % 6), 'bench/model-' || (i % 6), 'alpha', 'Alpha', 100 + i % 50, 200 + i % 70, 1000 + i % 900, 5000,
              100 + i % 300, CASE WHEN i % 5 = 0 THEN ('00000000-0000-4000-8000-00000000000' || (i % 2))::uuid END,
              CASE WHEN i % 40 = 0 THEN 502 END, '[]'::jsonb, now() - (i * (interval '30 days' / $2))
       FROM generate_series(1, $2) AS i`,
      [user.id, N],
    );
    // The hourly sums the gateway's writer keeps in the same statement, summed here at once.
    await db.query(
      `INSERT INTO generation_hourly (user_id, hour, model, provider_slug, provider_name, key_id, app_id, requests, cost_nanos, tokens_prompt, tokens_completion, tokens_reasoning)
       SELECT user_id, date_trunc('hour', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', COALESCE(model, requested_model), provider_slug, MAX(provider_name),
              key_id, app_id, COUNT(*), SUM(cost_nanos), SUM(tokens_prompt), SUM(tokens_completion), SUM(tokens_reasoning)
       FROM generations GROUP BY 1, 2, 3, 4, 6, 7`,
    );
    await db.query('VACUUM ANALYZE generations');
    await db.query('VACUUM ANALYZE generation_hourly');
    console.log(`${N} generations written in ${Date.now() - t0} ms`);
    const keyHash = (await db.query('SELECT hash FROM api_keys WHERE user_id = $1 ORDER BY id LIMIT 1', [user.id])).rows[0].hash;
    await db.end();

    const pages = [
      '/',
      '/credits',
      '/keys',
      '/limits',
      '/logs',
      `/logs?key=${keyHash}&status=ok`,
      '/logs?model=bench/model-3',
      '/activity',
      '/activity?period=day&group=key',
      '/activity?period=year&group=app&metric=tokens',
      '/apps',
      '/models',
      '/settings',
      '/activity.csv',
      '/logs/gen-bench500',
    ];
    const second = await fetch(`${url}/logs`, { headers: { cookie } });
    const next = /href="(\/logs\?[^"]*before=[^"]+)" rel="next"/.exec(await second.text());
    if (next) pages.push(next[1].replace(/&amp;/g, '&'));
    console.log('page                                              min    p50    p95  (ms)');
    for (const page of pages) {
      const times = [];
      for (let i = 0; i < REQUESTS + 3; i++) {
        const start = process.hrtime.bigint();
        const res = await fetch(`${url}${page}`, { headers: { cookie } });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`${page}: ${res.status}`);
        if (i >= 3) times.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
      times.sort((a, b) => a - b);
      const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(1).padStart(6);
      console.log(`${page.slice(0, 48).padEnd(48)} ${at(0)} ${at(0.5)} ${at(0.95)}`);
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
    await admin.end();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
