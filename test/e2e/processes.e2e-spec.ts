import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { dropDatabase } from '../../src/common/database/migrator';
import { BUILD_TIMEOUT_MS, buildOnce, freePort, runEntrypoint, Spawned, waitForStatus } from '../support/processes';
import { TcpProxy, viaProxy } from '../support/tcp-proxy';
import { databaseUrlFor, TEST_REDIS_URL, testRedisPrefix } from '../support/test-env';

/** The real entrypoints, as `npm start`, `npm run start:worker` and `npm run cli` run them. */
describe('compiled entrypoints', () => {
  const dbUrl = databaseUrlFor(`switchyard_proctest_${process.pid}_${Date.now()}`);
  const baseEnv = { DATABASE_URL: dbUrl, REDIS_KEY_PREFIX: `${testRedisPrefix()}-proc`, LOG_LEVEL: 'info' };
  const running: Spawned[] = [];

  beforeAll(() => buildOnce(), BUILD_TIMEOUT_MS);
  afterAll(async () => {
    for (const p of running) p.child.kill('SIGKILL');
    await dropDatabase(dbUrl);
  });

  it('the gateway creates and migrates its database, serves /health, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const gw = runEntrypoint('main', { ...baseEnv, PORT: String(port) });
    running.push(gw);
    const res = await waitForStatus(`http://127.0.0.1:${port}/health`, 200, gw);
    expect(((await res.json()) as { status: string }).status).toBe('ok');
    expect(gw.output()).toContain('database created');

    const pg = new Client({ connectionString: dbUrl });
    await pg.connect();
    const { rows } = await pg.query(`SELECT to_regclass('public.migrations') AS t`);
    await pg.end();
    expect(rows[0].t).toBe('migrations');

    gw.child.kill('SIGTERM');
    const exit = await gw.exited;
    expect({ ...exit, output: exit.code === 0 ? '' : gw.output() }).toEqual({ code: 0, signal: null, output: '' });
    expect(gw.output()).toContain('shutdown complete');
  });

  it('bad configuration fails at boot with one line naming the variable', async () => {
    const gw = runEntrypoint('main', { ...baseEnv, PORT: 'eighty', REDIS_URL: 'http://nope' });
    running.push(gw);
    expect((await gw.exited).code).toBe(78);
    const lines = gw.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Invalid configuration: PORT .*"eighty".*; REDIS_URL .*"http:\/\/nope"/);
  });

  it('a bad model catalog fails at boot with one line naming the file, the path and the problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-bad-catalog-'));
    const file = join(dir, 'catalog.yaml');
    writeFileSync(file, 'providers:\n  - slug: x\n    name: X\n    adapter: carrier-pigeon\n');
    const gw = runEntrypoint('main', { ...baseEnv, PORT: String(await freePort()), CATALOG_FILE: file });
    running.push(gw);
    expect((await gw.exited).code).toBe(78);
    const lines = gw
      .output()
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('{'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`Invalid model catalog ${file}: providers[0]`);
    expect(gw.output()).not.toMatch(/\n\s+at /);
  });

  it('listens with a backlog for bursts of fresh connections (Node defaults to 511: 2000 at once got ECONNRESET)', async () => {
    const port = await freePort();
    const gw = runEntrypoint('main', { ...baseEnv, PORT: String(port), LOG_LEVEL: 'warn' });
    running.push(gw);
    try {
      await waitForStatus(`http://127.0.0.1:${port}/health`, 200, gw);
      // For a listening socket, ss reports the accept backlog as Send-Q.
      const line = execFileSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' })
        .trim()
        .split('\n')[0];
      const backlog = Number(line.split(/\s+/)[2]);
      const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
      expect(backlog).toBe(Math.min(4096, somaxconn));
    } finally {
      gw.child.kill('SIGTERM');
      await gw.exited;
    }
  });

  it('a gateway started on a busy port exits non-zero with one line naming the port', async () => {
    const net = await import('node:net');
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const gw = runEntrypoint('main', { ...baseEnv, PORT: String(port), LOG_LEVEL: 'silent' });
      running.push(gw);
      const exit = await Promise.race([gw.exited, new Promise((r) => setTimeout(() => r('still running'), 20000))]);
      expect(exit).toEqual({ code: 1, signal: null });
      const lines = gw.output().trim().split('\n');
      expect(lines).toEqual([`Port ${port} on 127.0.0.1 is already in use`]);
    } finally {
      blocker.close();
    }
  });

  it('survives Redis going away and recovers when it returns', async () => {
    const redisUrl = new URL(TEST_REDIS_URL);
    const proxy = await new TcpProxy(redisUrl.hostname, Number(redisUrl.port || 6379)).start();
    const port = await freePort();
    const token = 'health-details-token-0123456789';
    const gw = runEntrypoint('main', { ...baseEnv, PORT: String(port), REDIS_URL: viaProxy(TEST_REDIS_URL, proxy), METRICS_TOKEN: token });
    running.push(gw);
    try {
      await waitForStatus(`http://127.0.0.1:${port}/health`, 200, gw);
      proxy.down();
      await waitForStatus(`http://127.0.0.1:${port}/health`, 503, gw);
      // The checks are for the holder of METRICS_TOKEN only.
      const down = await fetch(`http://127.0.0.1:${port}/health`, { headers: { authorization: `Bearer ${token}` } });
      expect(((await down.json()) as { checks: { redis: { status: string } } }).checks.redis.status).toBe('down');
      await new Promise((r) => setTimeout(r, 1500));
      expect(gw.child.exitCode).toBeNull();
      proxy.up();
      await waitForStatus(`http://127.0.0.1:${port}/health`, 200, gw);
    } finally {
      gw.child.kill('SIGTERM');
      await gw.exited;
      await proxy.stop();
    }
  });

  it.each(['main', 'worker'])('the %s entrypoint exits 1, saying what to check, when Postgres is unreachable', async (name) => {
    const port = await freePort(); // nothing listens there
    const proc = runEntrypoint(name, {
      ...baseEnv,
      PORT: String(await freePort()),
      DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/switchyard`,
    });
    running.push(proc);
    const exit = await proc.exited;
    expect({ code: exit.code, said: proc.output().includes('is PostgreSQL running and DATABASE_URL right?') }).toEqual({
      code: 1,
      said: true,
    });
  });

  it('the worker entrypoint runs without HTTP and stops cleanly', async () => {
    const worker = runEntrypoint('worker', baseEnv);
    running.push(worker);
    const until = Date.now() + 15000;
    while (!worker.output().includes('switchyard worker running') && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(worker.output()).toContain('switchyard worker running');
    worker.child.kill('SIGTERM');
    const exit = await worker.exited;
    expect({ ...exit, output: exit.code === 0 ? '' : worker.output() }).toEqual({ code: 0, signal: null, output: '' });
  });

  it('cli check reports config and connectivity; exits non-zero when Redis is unreachable', async () => {
    const ok = runEntrypoint('cli', baseEnv, ['check']);
    expect((await ok.exited).code).toBe(0);
    expect(ok.output()).toContain('postgres: up');
    expect(ok.output()).toContain('redis: up (PONG)');
    expect(ok.output()).toContain('migrations: up to date');

    const port = await freePort();
    const bad = runEntrypoint('cli', { ...baseEnv, REDIS_URL: `redis://127.0.0.1:${port}` }, ['check']);
    expect((await bad.exited).code).toBe(1);
    expect(bad.output()).toContain('redis: DOWN');
  });

  it('cli migrate is idempotent; unknown commands exit 64 with usage', async () => {
    const m = runEntrypoint('cli', baseEnv, ['migrate']);
    expect((await m.exited).code).toBe(0);
    expect(m.output()).toContain('no pending migrations');
    const u = runEntrypoint('cli', baseEnv, ['frobnicate']);
    expect((await u.exited).code).toBe(64);
    expect(u.output()).toContain('usage: npm run cli');
  });
});
