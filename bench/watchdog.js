#!/usr/bin/env node
'use strict';
/**
 * Started by bench/run.js with a pipe on stdin. When the pipe closes without a word — the harness
 * died without cleaning up, e.g. SIGKILL — it stops the processes listed in the harness's pid file
 * (only those whose command line is one of the benchmark's), then exits. The fake upstream and the
 * bare proxy watch their own stdin; the gateway does not, hence this.
 *
 *   node bench/watchdog.js <pid file>
 */
const { setTimeout } = require('node:timers');
const fs = require('node:fs');

const pidFile = process.argv[2];

function listed() {
  let text = '';
  try {
    text = fs.readFileSync(pidFile, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((l) => Number(l.split(' ')[0]))
    .filter((pid) => {
      try {
        return pid > 0 && /bench\/|dist\/src\/main\.js/.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
      } catch {
        return false;
      }
    });
}

function signal(pids, sig) {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      /* gone */
    }
  }
}

// After a clean exit the harness has stopped its children and removed the pid file: nothing to do.
process.stdin.on('end', () => {
  // Read once: by the time of the SIGKILL, the pids may have been reused.
  const pids = listed();
  signal(pids, 'SIGTERM');
  setTimeout(() => {
    signal(
      pids.filter((pid) => fs.existsSync(`/proc/${pid}`)),
      'SIGKILL',
    );
    fs.rmSync(pidFile, { force: true });
    process.exit(0);
  }, 3000);
});
process.stdin.on('error', () => process.stdin.emit('end'));
process.on('SIGINT', () => {}); // Ctrl-C is the harness's to handle; this one waits for the pipe to close
process.stdin.resume();
