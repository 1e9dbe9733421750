#!/usr/bin/env node
'use strict';
/**
 * One closed-loop autocannon run, in its own process (the load generator never shares the event
 * loop of the harness or of the system under test).
 *
 *   node bench/load-autocannon.js '<json config>'
 *
 * config: { url, headers, body (object), connections, seconds, warmupSeconds, keys (optional:
 *           connection i authenticates with keys[i % keys.length]) }
 * Prints one JSON line: rps (2xx per second), latency percentiles in ms (autocannon's histogram),
 * non2xx, errors, timeouts.
 */
const autocannon = require('autocannon');

const cfg = JSON.parse(process.argv[2] || '{}');
const baseHeaders = { 'content-type': 'application/json', ...(cfg.headers || {}) };
const keys = Array.isArray(cfg.keys) && cfg.keys.length ? cfg.keys : null;
let next = 0;

const opts = {
  url: cfg.url,
  method: 'POST',
  headers: baseHeaders,
  body: JSON.stringify(cfg.body),
  connections: Number(cfg.connections || 1),
  pipelining: 1,
  duration: Number(cfg.seconds || 5),
  timeout: 10,
  renderProgressBar: false,
  renderResultsTable: false,
  renderLatencyTable: false,
};
if (keys) {
  opts.setupClient = (client) => {
    client.setHeaders({ ...baseHeaders, authorization: `Bearer ${keys[next++ % keys.length]}` });
  };
}
if (Number(cfg.warmupSeconds) > 0) opts.warmup = { connections: opts.connections, duration: Number(cfg.warmupSeconds) };

const instance = autocannon(opts);
const stop = () => instance.stop && instance.stop();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

instance.then(
  (r) => {
    const twoxx = r['2xx'] || 0;
    const elapsed = r.duration || opts.duration;
    process.stdout.write(
      `${JSON.stringify({
        connections: opts.connections,
        seconds: elapsed,
        requests: r.requests.total,
        ok: twoxx,
        rps: Math.round((twoxx / elapsed) * 10) / 10,
        latency: { mean: r.latency.average, p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
        non2xx: r.non2xx || 0,
        errors: r.errors || 0,
        timeouts: r.timeouts || 0,
        mismatches: r.mismatches || 0,
      })}\n`,
    );
  },
  (err) => {
    process.stderr.write(`${err.stack || err}\n`);
    process.exit(1);
  },
);
