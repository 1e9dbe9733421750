import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from '../support/processes';

/** `npm run <script> -- args`, as an operator types it; its time, exit code and output. */
function npmRun(script: string, args: string[]): { ms: number; code: number | null; out: string } {
  const started = Date.now();
  const r = spawnSync('npm', ['run', '--silent', script, '--', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
  });
  return { ms: Date.now() - started, code: r.status, out: `${r.stdout}${r.stderr}` };
}

const built = (file: string) => statSync(join(ROOT, 'dist', 'src', file));

describe('npm run cli', () => {
  it('copies every template, stylesheet and script of src into the build and keeps them (a .js asset is not an orphan)', () => {
    expect(npmRun('build', []).code).toBe(0);
    const assets = (
      readdirSync(join(ROOT, 'src'), { recursive: true, withFileTypes: true }) as { name: string; parentPath: string; isFile(): boolean }[]
    )
      .filter((e) => e.isFile() && !e.name.endsWith('.ts'))
      .map((e) => relative(ROOT, join(e.parentPath, e.name)));
    expect(assets).toContain(join('src', 'common', 'html', 'static', 'console.js'));
    expect(assets.filter((f) => !existsSync(join(ROOT, 'dist', f)))).toEqual([]);
  }, 240_000);

  it('runs the built CLI without rebuilding it, builds only when a source changed, and never removes the build', () => {
    // Whatever state the build is in, after this call it is current.
    expect(npmRun('cli', ['env:table']).code).toBe(0);
    const before = { cli: built('cli.js').mtimeMs, main: built('main.js').ino };

    const again = npmRun('cli', ['env:table']);
    expect(again.code).toBe(0);
    expect(again.out).toContain('| `DATABASE_URL` |');
    expect(built('cli.js').mtimeMs).toBe(before.cli);
    expect(again.ms).toBeLessThan(10000);

    // A newer source makes the next call compile, over the files a running gateway may be using.
    const source = join(ROOT, 'src', 'cli.ts');
    const now = new Date();
    utimesSync(source, now, now);
    const rebuilt = npmRun('cli', ['env:table']);
    expect(rebuilt.code).toBe(0);
    expect(built('cli.js').mtimeMs).toBeGreaterThan(before.cli);
    expect(built('main.js').ino).toBe(before.main);
  }, 240_000);
});
