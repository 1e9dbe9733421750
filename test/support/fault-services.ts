import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/common/config/app-config';
import { ensureDatabase, runMigrations } from '../../src/common/database/migrator';
import { freePort } from './processes';

/**
 * Private Postgres and Redis servers for fault tests: each test file starts its own on free ports,
 * then freezes (SIGSTOP), stops and restarts them under traffic. The shared servers on 5432/6379
 * are never touched.
 */

const PG_BIN = '/usr/lib/postgresql/15/bin';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The ids of a process's children (a postmaster's backends and auxiliary processes). */
function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((l) => Number(l.trim()))
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}

function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // Already gone.
    }
  }
}

/** A throw-away Postgres cluster (initdb as the postgres user into a temp dir, pg_ctl on a free port). */
export class PrivatePostgres {
  port = 0;
  private dir = '';

  /** Runs a PostgreSQL tool as the postgres user (initdb and postgres refuse to run as root). */
  private asPostgres(tool: string, args: string[]): void {
    const asRoot = process.getuid?.() === 0;
    const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(PG_BIN, tool), ...args]] : [join(PG_BIN, tool), args];
    execFileSync(cmd, argv, { stdio: 'pipe', timeout: 60_000 });
  }

  async start(): Promise<this> {
    this.dir = mkdtempSync(join(tmpdir(), 'sy-fault-pg-'));
    chmodSync(this.dir, 0o777);
    if (process.getuid?.() === 0) execFileSync('chown', ['postgres', this.dir]);
    this.port = await freePort();
    this.asPostgres('initdb', ['-D', join(this.dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    this.up();
    return this;
  }

  /** Starts (or restarts) the server on the same port and data directory, waiting until it accepts connections. */
  up(): void {
    const opts = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
    this.asPostgres('pg_ctl', ['-D', join(this.dir, 'data'), '-o', opts, '-l', join(this.dir, 'log'), '-w', '-t', '30', 'start']);
  }

  /** Stops the server: `immediate` drops every connection at once, as a crash would. */
  down(mode: 'fast' | 'immediate' = 'immediate'): void {
    this.asPostgres('pg_ctl', ['-D', join(this.dir, 'data'), '-m', mode, '-w', '-t', '30', 'stop']);
  }

  private pids(): number[] {
    const postmaster = Number(readFileSync(join(this.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    return [postmaster, ...childrenOf(postmaster)];
  }

  /** SIGSTOP on the postmaster and every backend: connections stay open and nothing answers. */
  freeze(): void {
    signal(this.pids(), 'SIGSTOP');
  }

  thaw(): void {
    signal(this.pids(), 'SIGCONT');
  }

  url(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** Creates and migrates a database on this cluster; returns its URL. */
  async migratedDatabase(name = 'switchyard'): Promise<string> {
    const url = this.url(name);
    await ensureDatabase(url);
    await runMigrations(loadConfig({ DATABASE_URL: url }));
    return url;
  }

  async stop(): Promise<void> {
    if (!this.dir) return;
    try {
      this.thaw();
      this.down('immediate');
    } catch {
      // Not running.
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A throw-away redis-server on a free port, without persistence: a restart comes back empty. */
export class PrivateRedis {
  port = 0;
  private child?: ChildProcess;

  async start(): Promise<this> {
    this.port = await freePort();
    await this.up();
    return this;
  }

  async up(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const until = Date.now() + 10_000;
    while (!out.includes('Ready to accept connections')) {
      if (Date.now() > until || child.exitCode !== null) throw new Error(`redis-server did not start:\n${out}`);
      await sleep(50);
    }
  }

  /** Kills the server (SIGKILL): every connection drops, every key is gone. */
  async down(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
  }

  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  thaw(): void {
    this.child?.kill('SIGCONT');
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    await this.down();
  }
}
