'use strict';
/** Child processes: started, tracked (with a pid file for bench/watchdog.js), stopped on exit, error or signal. */
const { setTimeout, clearTimeout } = require('node:timers');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, BENCH, RESULTS, PIDS_FILE, env, CFG, say, sleep } = require('./settings');

const children = new Set();

function recordPids() {
  try {
    fs.writeFileSync(PIDS_FILE, [...children].map((c) => `${c.proc.pid} ${c.name}`).join('\n'));
  } catch {
    /* best effort */
  }
}

/** Processes a previous harness left behind when it was killed with SIGKILL (no cleanup ran). */
function killStale() {
  // Log directories of runs whose harness is gone.
  for (const d of fs.readdirSync(RESULTS)) {
    const m = /^run-.*-(\d+)\.tmp$/.exec(d);
    if (!m) continue;
    let alive = false;
    try {
      process.kill(Number(m[1]), 0);
      alive = true;
    } catch {
      /* gone */
    }
    if (!alive) fs.rmSync(path.join(RESULTS, d), { recursive: true, force: true });
  }
  // Pid files of harnesses that are gone.
  for (const f of fs.readdirSync(RESULTS)) {
    const m = /^children-(\d+)\.pids\.tmp$/.exec(f);
    if (!m || Number(m[1]) === process.pid) continue;
    try {
      process.kill(Number(m[1]), 0);
      continue; // that harness is still running
    } catch {
      /* gone */
    }
    const file = path.join(RESULTS, f);
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const pid = Number(line.split(' ')[0]);
      if (!pid) continue;
      try {
        const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (cmd.includes(ROOT) || /bench\/|dist\/src\/main\.js/.test(cmd)) {
          process.kill(pid, 'SIGKILL');
          say(`killed stale child ${pid} left by an earlier run`);
        }
      } catch {
        /* gone */
      }
    }
    fs.rmSync(file, { force: true });
  }
}

function track(name, proc) {
  const child = { name, proc, exited: null };
  child.exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  children.add(child);
  recordPids();
  child.exited.then(() => {
    children.delete(child);
    recordPids();
  });
  return child;
}

/** A long-running server child that prints `{"listening":port}` on its first stdout line. */
async function startServer(name, script, args) {
  const proc = spawn(process.execPath, [path.join(BENCH, script), ...args], {
    cwd: ROOT,
    env: { ...env, BENCH_CHILD: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const child = track(name, proc);
  let err = '';
  proc.stderr.on('data', (d) => (err += d).length > 10000 && (err = err.slice(-5000)));
  const port = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not start in 10 s: ${err}`)), 10_000);
    proc.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(out.slice(0, nl)).listening);
        } catch {
          reject(new Error(`${name}: unexpected output ${out}`));
        }
      }
    });
    proc.once('exit', (code) => reject(new Error(`${name} exited (${code}): ${err}`)));
  });
  proc.stdout.resume();
  child.port = port;
  return child;
}

async function stopChild(child, graceMs = 15_000) {
  if (!child || child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill('SIGTERM');
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

/** Runs a load script in its own process and returns the JSON it prints. */
function runJson(script, config, timeoutMs) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [path.join(BENCH, script), JSON.stringify(config)], {
      cwd: ROOT,
      env: { ...env, BENCH_CHILD: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const child = track(script, proc);
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${script} did not finish in ${timeoutMs} ms`));
    }, timeoutMs);
    child.exited.then(({ code }) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`${script} exited ${code}: ${err.slice(-2000)}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()));
      } catch {
        reject(new Error(`${script}: no JSON result: ${out.slice(-500)} ${err.slice(-500)}`));
      }
    });
  });
}

function killAllSync() {
  for (const c of children) {
    try {
      c.proc.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
  fs.rmSync(PIDS_FILE, { force: true });
}

let interrupted = false;
let runTmpDir = null;
/** The run's log directory, removed on a signal unless BENCH_KEEP_LOGS=1. */
const setRunTmpDir = (dir) => {
  runTmpDir = dir;
};
async function onSignal(signal) {
  if (interrupted) {
    killAllSync();
    process.exit(130);
  }
  interrupted = true;
  say(`${signal}: stopping every child process`);
  await Promise.race([Promise.all([...children].map((c) => stopChild(c, 3000))), sleep(5000)]);
  killAllSync();
  if (runTmpDir && !CFG.keepLogs) fs.rmSync(runTmpDir, { recursive: true, force: true });
  process.exit(130);
}
process.on('SIGINT', () => void onSignal('SIGINT'));
process.on('SIGTERM', () => void onSignal('SIGTERM'));
process.on('exit', killAllSync);

module.exports = { children, killStale, track, startServer, stopChild, runJson, killAllSync, setRunTmpDir };
