#!/usr/bin/env node
// Bundles each entry point into one file with esbuild (the CLI loads one file and the chunks
// of the verb it runs, instead of ~100 ES modules). `npm run build` runs it after tsc (the type
// check); test helpers and scripts run it with --if-stale, so nothing ever runs stale code.
//
//   node scripts/bundle.mjs              build dist/bundle now
//   node scripts/bundle.mjs --if-stale   only when a file the last bundle was made from changed
//
// Output: dist/bundle -> bundle-<time>/ (a symlink swapped by one rename, so a CLI starting
// meanwhile loads the old bundle or the new one, never half of each; the previous directory
// is kept a while for processes still loading lazy chunks from it). Entry files and chunks
// sit in one directory, so `new URL('./task-child.js', import.meta.url)` finds the entry.
// better-sqlite3 (a native module) and electron stay external; native/ is loaded at run time.
import { mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..');
const dist = join(repo, 'dist');
const link = join(dist, 'bundle');
const inputsFile = join(link, 'inputs.json');

export const ENTRIES = {
  cli: 'main/cli/index.ts',
  // the web bridge's / app's long-task child (main/server/tasks.ts forks it)
  'task-child': 'main/server/task-child.ts',
};
/** Besides the sources the metafile names: what changes how the bundle is made. */
const BUILD_INPUTS = ['scripts/bundle.mjs', 'package.json', 'package-lock.json', 'tsconfig.json'];

/** Is any file the current bundle was made from newer than it (or gone)? */
export function stale() {
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(inputsFile, 'utf8'));
  } catch {
    return true;
  }
  const made = inputs.madeAt;
  for (const f of [...inputs.files, ...BUILD_INPUTS]) {
    try {
      if (statSync(join(repo, f)).mtimeMs > made) return true;
    } catch {
      return true;
    }
  }
  return false;
}

export async function bundle() {
  mkdirSync(dist, { recursive: true });
  // Taken before reading any source: a file saved during the build makes the result stale.
  const madeAt = Date.now();
  const name = `bundle-${madeAt}-${process.pid}`;
  const tmp = join(dist, `.${name}`);
  let build;
  try {
    ({ build } = await import('esbuild'));
  } catch {
    throw new Error('esbuild is not installed: run `npm ci` (or `bash scripts/setup.sh`) in the checkout');
  }
  const result = await build({
    absWorkingDir: repo,
    entryPoints: ENTRIES,
    outdir: tmp,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    chunkNames: '[name]-[hash]',
    external: ['better-sqlite3', 'electron'],
    // CommonJS dependencies bundled into ESM still call require() for node: built-ins.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const files = Object.keys(result.metafile.inputs).filter((f) => !f.startsWith('<'));
  writeFileSync(join(tmp, 'inputs.json'), JSON.stringify({ madeAt, files }));
  writeFileSync(join(tmp, 'package.json'), '{"type":"module"}\n');
  renameSync(tmp, join(dist, name));
  const next = join(dist, `.bundle-link-${process.pid}`);
  rmSync(next, { force: true });
  symlinkSync(name, next);
  const previous = currentTarget();
  renameSync(next, link);
  prune([name, previous]);
  return { dir: join(dist, name), files: files.length };
}

function currentTarget() {
  try {
    return readlinkSync(link);
  } catch {
    return undefined;
  }
}

/**
 * Remove older bundle dirs, keeping the current and the previous one; a minute's grace so a
 * build running beside this one keeps the dir it is about to switch to, an hour for the
 * temp dirs of builds that died.
 */
function prune(keep) {
  const now = Date.now();
  for (const n of readdirSync(dist)) {
    if (keep.includes(n)) continue;
    const grace = /^bundle-\d+-\d+$/.test(n) ? 60_000 : /^\.bundle-/.test(n) ? 3_600_000 : undefined;
    if (grace === undefined) continue;
    const p = join(dist, n);
    try {
      if (now - statSync(p).mtimeMs > grace) rmSync(p, { recursive: true, force: true });
    } catch {
      // removed meanwhile by another build
    }
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  if (process.argv.includes('--if-stale') && !stale()) process.exit(0);
  const t0 = performance.now();
  const { dir, files } = await bundle();
  const rel = relative(repo, dir);
  process.stderr.write(`[bundle] ${rel}: ${Object.keys(ENTRIES).join(', ')} from ${files} files in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}
