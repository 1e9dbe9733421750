// Compiles src/ and migrations/ into dist/ without ever deleting dist/: a running gateway keeps the
// files it loaded and the ones it may still load. `--if-stale` builds only when a source is newer
// than the last build (or there is none), so operator commands start at once.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const STAMP = join(DIST, '.build-stamp');
const SOURCES = ['src', 'migrations'];
const CONFIG = ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];
const ifStale = process.argv.includes('--if-stale');

function* files(dir) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else yield path;
  }
}

function newestSource() {
  let newest = 0;
  // Every file counts: templates, stylesheets and scripts are copied into the build as they are.
  for (const dir of SOURCES) for (const f of files(join(ROOT, dir))) newest = Math.max(newest, statSync(f).mtimeMs);
  for (const f of CONFIG) if (existsSync(join(ROOT, f))) newest = Math.max(newest, statSync(join(ROOT, f)).mtimeMs);
  return newest;
}

/** Files tsc does not emit (page templates, the console's stylesheet and script), copied as they are. */
function copyAssets() {
  for (const f of files(join(ROOT, 'src'))) {
    if (f.endsWith('.ts')) continue;
    const to = join(DIST, relative(ROOT, f));
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(f, to);
  }
}

/** Compiled files whose source is gone (a removed migration must not keep running). */
function pruneOrphans() {
  for (const dir of SOURCES) {
    for (const f of files(join(DIST, dir))) {
      const base = f.replace(/\.js\.map$|\.js$/, '');
      if (base === f) continue;
      // A script copied as it is (the console's) has itself, not a .ts file, as its source.
      if (existsSync(join(ROOT, relative(DIST, f)))) continue;
      const source = join(ROOT, `${relative(DIST, base)}.ts`);
      if (!existsSync(source)) rmSync(f, { force: true });
    }
  }
}

const started = Date.now();
const newest = newestSource();
if (ifStale && existsSync(STAMP) && statSync(STAMP).mtimeMs >= newest) process.exit(0);
process.stderr.write(ifStale ? 'build is missing or stale: compiling…\n' : '');
execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
  cwd: ROOT,
  stdio: 'inherit',
});
copyAssets();
pruneOrphans();
// The stamp takes the start time: a source edited while compiling makes the next call build again.
writeFileSync(STAMP, `${new Date(started).toISOString()}\n`);
utimesSync(STAMP, new Date(started), new Date(started));
