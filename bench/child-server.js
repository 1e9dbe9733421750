'use strict';
/**
 * How the benchmark's own servers (fake upstream, bare proxy) listen and stop: keep-alive longer
 * than any client pool's, one JSON line on stdout once listening, and a stop on SIGTERM/SIGINT or,
 * when started by the harness (BENCH_CHILD=1, stdin a pipe), when that pipe ends (the harness is gone).
 */
const { setTimeout } = require('node:timers');

function serveChild(server, port, info, onStop = () => {}) {
  // Longer than any client pool's keep-alive, so a pooled connection is never closed under a request.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 0;
  server.listen(port, '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ listening: server.address().port, ...info })}\n`);
  });
  const stop = () => {
    server.close();
    server.closeAllConnections();
    onStop();
    setTimeout(() => process.exit(0), 200).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (process.env.BENCH_CHILD === '1') {
    process.stdin.on('end', stop);
    process.stdin.on('error', stop);
    process.stdin.resume();
  }
}

module.exports = { serveChild };
