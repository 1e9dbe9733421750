#!/usr/bin/env node
'use strict';
/**
 * The floor for any Node gateway: a node:http server that forwards every request to one upstream
 * through an undici keep-alive pool and pipes the response back as it arrives (streams too).
 * No auth, no parsing, no logging, no billing.
 *
 *   node bench/bare-proxy.js --upstream http://127.0.0.1:PORT [--port 0]
 *
 * Prints one JSON line `{"listening":<port>}` when ready. Loopback only; exits on SIGTERM/SIGINT,
 * or under the harness (BENCH_CHILD=1) when stdin closes.
 */
const { URL } = require('node:url');
const http = require('node:http');
const { serveChild } = require('./child-server');
const { pipeline } = require('node:stream');
const { Agent, request } = require('undici');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const UPSTREAM = new URL(arg('upstream', process.env.BARE_PROXY_UPSTREAM || 'http://127.0.0.1:8081')).origin;
const PORT = Number(arg('port', 0));
// The same pool settings as the gateway's upstream client (src/providers/upstream-client.ts).
const agent = new Agent({ keepAliveTimeout: 30_000, connections: 512, headersTimeout: 120_000, bodyTimeout: 120_000 });
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host']);

function strip(headers) {
  const out = {};
  for (const name in headers) if (!HOP.has(name)) out[name] = headers[name];
  return out;
}

const server = http.createServer((req, res) => {
  const ac = new globalThis.AbortController();
  res.on('close', () => {
    if (!res.writableFinished) ac.abort();
  });
  request(UPSTREAM + req.url, {
    method: req.method,
    headers: strip(req.headers),
    body: req.method === 'GET' || req.method === 'HEAD' ? undefined : req,
    dispatcher: agent,
    signal: ac.signal,
  }).then(
    (up) => {
      res.writeHead(up.statusCode, strip(up.headers));
      pipeline(up.body, res, () => {});
    },
    (err) => {
      if (res.headersSent) return res.destroy();
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `bare proxy: ${err.code || err.message}` } }));
    },
  );
});
serveChild(server, PORT, { upstream: UPSTREAM }, () => agent.close().catch(() => {}));
