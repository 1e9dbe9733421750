#!/usr/bin/env node
'use strict';
/**
 * Summarises a V8 .cpuprofile (as written by `node --cpu-prof`):
 *
 *   node bench/profile-summary.js <file.cpuprofile | dir> [--top 25] [--skip-ms N] [--json]
 *
 * (a directory: its newest .cpuprofile; --skip-ms: leave out the first N ms of the profile, e.g.
 * the process's start-up and warm-up, which bench/run.js reports in profile mode). Prints the busy time (idle excluded), then
 *   - the top functions by self time, with file:line (dist/ JavaScript mapped back to the
 *     TypeScript source through the build's source maps when present),
 *   - the top functions by total (inclusive) time, each counted once per sample even when recursive,
 *   - self time aggregated by package (node_modules/<pkg>), app source file, Node internals, and
 *     V8 categories ((garbage collector), (program)).
 */
const fs = require('node:fs');
const path = require('node:path');
const { SourceMap } = require('node:module');
const { fileURLToPath } = require('node:url');

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const TOP = Number(flag('top', 25));
const SKIP_US = Number(flag('skip-ms', 0)) * 1000;
const JSON_OUT = args.includes('--json');
const positional = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--top' || args[i] === '--skip-ms') i++;
  else if (!args[i].startsWith('--')) positional.push(args[i]);
}
let file = positional[0];
if (!file) {
  process.stderr.write('usage: node bench/profile-summary.js <file.cpuprofile | dir> [--top 25] [--skip-ms N] [--json]\n');
  process.exit(64);
}
if (fs.statSync(file).isDirectory()) {
  const found = fs
    .readdirSync(file)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(file, f))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  if (!found.length) throw new Error(`no .cpuprofile in ${file}`);
  file = found[0];
}
const ROOT = path.resolve(__dirname, '..');
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);

// ---- source locations ----------------------------------------------------------------------

const maps = new Map();
function sourceMapFor(url) {
  if (maps.has(url)) return maps.get(url);
  let sm = null;
  try {
    const p = url.startsWith('file://') ? fileURLToPath(url) : url;
    if (p.includes(`${path.sep}dist${path.sep}`) && fs.existsSync(`${p}.map`))
      sm = new SourceMap(JSON.parse(fs.readFileSync(`${p}.map`, 'utf8')));
    if (sm) sm.__dir = path.dirname(p);
  } catch {
    sm = null;
  }
  maps.set(url, sm);
  return sm;
}

function rel(p) {
  const r = path.relative(ROOT, p);
  return r.startsWith('..') ? p : r;
}

function location(cf) {
  if (!cf.url) return '';
  const line = cf.lineNumber + 1;
  const sm = sourceMapFor(cf.url);
  if (sm) {
    const e = sm.findEntry(cf.lineNumber, cf.columnNumber);
    if (e && e.originalSource) {
      const src = e.originalSource.startsWith('file://') ? fileURLToPath(e.originalSource) : path.resolve(sm.__dir, e.originalSource);
      return `${rel(src)}:${e.originalLine + 1}`;
    }
  }
  const p = cf.url.startsWith('file://') ? fileURLToPath(cf.url) : cf.url;
  return `${rel(p)}:${line}`;
}

function bucket(cf) {
  const url = cf.url || '';
  if (!url) return cf.functionName.startsWith('(') ? cf.functionName : '(native/V8 builtins)';
  if (url.startsWith('node:'))
    return `node:${url.slice(5).split('/')[0] === 'internal' ? `internal/${url.slice(5).split('/')[1] || ''}` : url.slice(5)}`;
  const p = url.startsWith('file://') ? fileURLToPath(url) : url;
  const nm = p.lastIndexOf(`${path.sep}node_modules${path.sep}`);
  if (nm >= 0) {
    const parts = p.slice(nm + 14).split(path.sep);
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const r = rel(p);
  return r.startsWith('dist/src/') ? `app ${r.replace(/^dist\//, '').replace(/\.js$/, '.ts')}` : r;
}

// ---- time per sample -----------------------------------------------------------------------

const samples = profile.samples || [];
const deltas = profile.timeDeltas || [];
const avg = samples.length ? (profile.endTime - profile.startTime) / samples.length : 0;
const dur = samples.map((_, i) => (i + 1 < deltas.length ? Math.max(0, deltas[i + 1]) : avg));
// Samples before startTime + SKIP_US are left out.
let firstKept = 0;
if (SKIP_US > 0) {
  let t = profile.startTime;
  while (firstKept < samples.length && t + (deltas[firstKept] || 0) < profile.startTime + SKIP_US) t += deltas[firstKept++] || 0;
}
const durationUs = profile.endTime - profile.startTime - Math.min(SKIP_US, profile.endTime - profile.startTime);

const keyOf = (cf) => `${cf.functionName || '(anonymous)'}\u0000${cf.url}\u0000${cf.lineNumber}\u0000${cf.columnNumber}`;
const fnInfo = new Map();
const info = (n) => {
  const k = keyOf(n.callFrame);
  let f = fnInfo.get(k);
  if (!f) {
    f = { name: n.callFrame.functionName || '(anonymous)', cf: n.callFrame, self: 0, total: 0, selfSamples: 0 };
    fnInfo.set(k, f);
  }
  return f;
};

let idle = 0;
let busy = 0;
const byBucket = new Map();
for (let i = firstKept; i < samples.length; i++) {
  const leaf = nodes.get(samples[i]);
  if (!leaf) continue;
  const t = dur[i];
  if (leaf.callFrame.functionName === '(idle)') {
    idle += t;
    continue;
  }
  busy += t;
  const f = info(leaf);
  f.self += t;
  f.selfSamples++;
  const b = bucket(leaf.callFrame);
  byBucket.set(b, (byBucket.get(b) || 0) + t);
  const seen = new Set();
  for (let id = samples[i]; id !== undefined; id = parent.get(id)) {
    const n = nodes.get(id);
    if (n.callFrame.functionName === '(root)') break;
    const k = keyOf(n.callFrame);
    if (seen.has(k)) continue;
    seen.add(k);
    info(n).total += t;
  }
}

const ms = (us) => (us / 1000).toFixed(1);
const pct = (us) => `${((100 * us) / (busy || 1)).toFixed(1)}%`;
const all = [...fnInfo.values()];
const topSelf = all.sort((a, b) => b.self - a.self).slice(0, TOP);
const topTotal = [...fnInfo.values()]
  .filter((f) => !['(program)', '(garbage collector)'].includes(f.name))
  .sort((a, b) => b.total - a.total)
  .slice(0, TOP);
const buckets = [...byBucket.entries()].sort((a, b) => b[1] - a[1]);

if (JSON_OUT) {
  const row = (f) => ({
    function: f.name,
    location: location(f.cf),
    selfMs: +ms(f.self),
    selfPct: +pct(f.self).slice(0, -1),
    totalMs: +ms(f.total),
    totalPct: +pct(f.total).slice(0, -1),
  });
  process.stdout.write(
    `${JSON.stringify({ file, durationMs: +ms(durationUs), busyMs: +ms(busy), idleMs: +ms(idle), topSelf: topSelf.map(row), topTotal: topTotal.map(row), byBucket: buckets.map(([b, t]) => ({ bucket: b, selfMs: +ms(t), pct: +pct(t).slice(0, -1) })) }, null, 2)}\n`,
  );
  process.exit(0);
}

const pad = (s, n) => (s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n));
const out = [];
out.push(`profile ${file}${SKIP_US ? ` (first ${SKIP_US / 1000} ms left out)` : ''}`);
out.push(
  `wall ${ms(durationUs)} ms, ${samples.length - firstKept} samples (~${avg.toFixed(0)} µs each); busy ${ms(busy)} ms, idle ${ms(idle)} ms (${((100 * idle) / (durationUs || 1)).toFixed(1)}% of wall). Percentages below are of busy time.`,
);
out.push(
  '',
  `Top ${TOP} functions by self time`,
  `${'self ms'.padStart(9)} ${'self%'.padStart(6)} ${'total%'.padStart(7)}  ${pad('function', 44)} location`,
);
for (const f of topSelf)
  out.push(`${ms(f.self).padStart(9)} ${pct(f.self).padStart(6)} ${pct(f.total).padStart(7)}  ${pad(f.name, 44)} ${location(f.cf)}`);
out.push(
  '',
  `Top ${TOP} functions by total (inclusive) time`,
  `${'total ms'.padStart(9)} ${'total%'.padStart(7)} ${'self%'.padStart(6)}  ${pad('function', 44)} location`,
);
for (const f of topTotal)
  out.push(`${ms(f.total).padStart(9)} ${pct(f.total).padStart(7)} ${pct(f.self).padStart(6)}  ${pad(f.name, 44)} ${location(f.cf)}`);
out.push('', 'Self time by package / source', `${'self ms'.padStart(9)} ${'self%'.padStart(6)}  bucket`);
for (const [b, t] of buckets.slice(0, Math.max(TOP, 30))) out.push(`${ms(t).padStart(9)} ${pct(t).padStart(6)}  ${b}`);
process.stdout.write(`${out.join('\n')}\n`);
