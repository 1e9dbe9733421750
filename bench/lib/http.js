'use strict';
/** Loopback HTTP helpers: a free port, waiting for a health check. */
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { ROOT, sleep } = require('./settings');

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitHealthy(url, child, logFile, timeoutMs = 90_000) {
  const { request } = require(path.join(ROOT, 'node_modules', 'undici'));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.proc.exitCode !== null) break;
    try {
      const res = await request(url, { headersTimeout: 2000, bodyTimeout: 2000 });
      await res.body.text();
      if (res.statusCode === 200) return;
    } catch {
      /* not yet */
    }
    await sleep(200);
  }
  const tail = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n') : '';
  throw new Error(
    `the gateway did not become healthy (${child.proc.exitCode !== null ? `exited ${child.proc.exitCode}` : 'timeout'}):\n${tail}`,
  );
}

module.exports = { freePort, waitHealthy };
