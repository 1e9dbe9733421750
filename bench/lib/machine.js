'use strict';
/** The machine, the versions and the commit a result was measured on. */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ROOT, round } = require('./settings');

function sh(cmd, args) {
  try {
    return execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();
  } catch {
    return null;
  }
}

async function machineInfo(pg, redis) {
  let osName = `${os.type()} ${os.release()}`;
  try {
    const rel = fs.readFileSync('/etc/os-release', 'utf8');
    const m = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(rel);
    if (m) osName = `${m[1]} (kernel ${os.release()})`;
  } catch {
    /* not Linux */
  }
  const cpus = os.cpus();
  const commit = sh('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = sh('git', ['status', '--porcelain', '--untracked-files=no']);
  const pkgVersion = (name) => {
    try {
      return require(path.join(ROOT, 'node_modules', name, 'package.json')).version;
    } catch {
      return null;
    }
  };
  const pgVersion = (await pg.query('show server_version')).rows[0].server_version;
  const redisInfo = await redis.info('server');
  return {
    machine: {
      cpus: cpus.length,
      cpuModel: cpus[0] ? cpus[0].model : null,
      memoryGb: round(os.totalmem() / 2 ** 30, 1),
      os: osName,
      arch: os.arch(),
      loadAverageAtStart: os.loadavg().map((x) => round(x, 2)),
    },
    versions: {
      node: process.version,
      postgres: pgVersion,
      redis: (/redis_version:(\S+)/.exec(redisInfo) || [])[1] || null,
      autocannon: pkgVersion('autocannon'),
      undici: pkgVersion('undici'),
      fastify: pkgVersion('fastify'),
      nestjsCore: pkgVersion('@nestjs/core'),
      switchyard: require(path.join(ROOT, 'package.json')).version,
    },
    commit: commit ? `${commit}${dirty ? '-dirty' : ''}` : 'unknown',
  };
}

module.exports = { sh, machineInfo };
