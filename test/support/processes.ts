import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

/**
 * Brings the production build up to date for a test file that runs the real entrypoints: the project's
 * build (the processes also need the templates and static files it copies), and only when a source is
 * newer than the last build, so a suite run after `npm run build` does not compile again.
 */
export function buildOnce(): void {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--if-stale'], { cwd: ROOT, stdio: 'inherit' });
}

/** How long a hook that may compile the build is given on a loaded machine. */
export const BUILD_TIMEOUT_MS = 240_000;

export interface Spawned {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs a compiled entrypoint (`dist/src/<name>.js`) with exactly the given environment. */
export function runEntrypoint(name: string, env: Record<string, string>, args: string[] = []): Spawned {
  let out = '';
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', `${name}.js`), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => out, exited };
}

/** Polls `url` until it answers with `status`, or throws with the process output after the timeout. */
export async function waitForStatus(url: string, status: number, proc?: Spawned, timeoutMs = 20000): Promise<Response> {
  const until = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < until) {
    try {
      const res = await fetch(url);
      if (res.status === status) return res;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${url} never answered ${status} (last: ${last})\n${proc?.output() ?? ''}`);
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
