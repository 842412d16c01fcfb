#!/usr/bin/env node
// Bundles each entry point into one CommonJS file with esbuild: cli.cjs (what bin/slipway.js
// runs, with V8's code cache) and task-child.cjs. One file instead of ~100 ES modules: Node's
// ES module loader costs a resolve, a realpath and an async read per module, and only CommonJS
// can use a code cache on Node 20. Code behind the verbs' dynamic imports stays in the file but
// runs (and compiles) only when the verb is used. `npm run build` runs this after tsc (the type
// check); test helpers and scripts run it with --if-stale, so nothing ever runs stale code.
//
//   node scripts/bundle.mjs              build dist/bundle now
//   node scripts/bundle.mjs --if-stale   only when a file the last bundle was made from changed
//
// Output: dist/bundle -> bundle-<time>-<pid>/ (a symlink swapped by one rename, so a CLI
// starting meanwhile runs the old bundle or the new one, never half of each; the previous
// directory is kept a while for processes still running from it).
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
  // the Engine API's child for builds, pulls and loads (main/api/child-ops.ts)
  'api-child': 'main/api/api-child.ts',
  // the rootless port forwarder (main/engine/network/port-forward.ts starts it in the rootless netns)
  'port-forwarder': 'main/engine/network/port-forwarder.ts',
  // the builder's layer packing thread (main/engine/layer/pack-pool.ts starts it)
  'pack-worker': 'main/engine/layer/pack-worker.ts',
};
/**
 * Loaded from node_modules at run time, by the verbs that use them: electron (the app), and
 * the big dependencies of the UI server (zod: 800 KB of the 2 MB a bundle with it would be;
 * ws) and of parsing a new Dockerfile (dockerfile-ast). Every byte of the CLI bundle is read
 * and its code cache deserialized on every call. better-sqlite3's JavaScript is bundled (its
 * addon is loaded by path: store/db.ts).
 */
const EXTERNAL = ['electron', 'zod', 'ws', 'dockerfile-ast'];

/**
 * Node built-ins that cost milliseconds to load and that most verbs never touch (`ps` needs
 * no crypto, no child processes, no zlib or http). Our modules import them at the top; in the
 * bundle each becomes an object whose properties load the real module on first use. Sound
 * because a CommonJS bundle reads an imported name as a property at each use.
 */
const LAZY_BUILTINS = ['crypto', 'child_process', 'zlib', 'http', 'https', 'net', 'dgram', 'readline', 'tls', 'stream', 'stream/promises', 'fs/promises', 'os', 'worker_threads'];
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    const filter = new RegExp(`^(node:)?(${LAZY_BUILTINS.map((m) => m.replace('/', '\\/')).join('|')})$`);
    b.onResolve({ filter }, (args) => {
      // our sources, and commander (which requires child_process at the top for external subcommands we never use)
      const ours = args.importer.startsWith(repo + '/') && !args.importer.includes('/node_modules/');
      if (args.namespace === 'lazy-builtin' || !(ours || args.importer.includes('/node_modules/commander/'))) return undefined;
      return { path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtin' };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, async (args) => {
      const names = Object.keys(await import(`node:${args.path}`)).filter((n) => n !== 'default');
      return {
        loader: 'js',
        contents: `let m; const load = () => (m ??= require('node:${args.path}'));
for (const k of ${JSON.stringify(names)}) Object.defineProperty(exports, k, { enumerable: true, get: () => load()[k] });
Object.defineProperty(exports, 'default', { enumerable: true, get: load });`,
      };
    });
  },
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
    format: 'cjs',
    outExtension: { '.js': '.cjs' },
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    plugins: [lazyBuiltins],
    charset: 'ascii',
    // Our sources are ESM; in one CommonJS file import.meta is the file's own name.
    define: { 'import.meta.url': '__importMetaUrl', 'import.meta.dirname': '__dirname', 'import.meta.filename': '__filename' },
    banner: { js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  // A dynamic import() left in a CommonJS bundle would need Node's ES module loader (and
  // bin/slipway.js runs the bundle without one): import builtins statically, require packages.
  for (const [out, o] of Object.entries(result.metafile.outputs)) {
    const dyn = o.imports.filter((i) => i.kind === 'dynamic-import' && i.external).map((i) => i.path);
    if (dyn.length) {
      rmSync(tmp, { recursive: true, force: true });
      throw new Error(`${relative(tmp, out)}: dynamic import() of ${dyn.join(', ')}: use a static import (node: builtins) or createRequire (packages)`);
    }
  }
  // bin/slipway.js reads the bundle as latin1 (a copy of the bytes, where utf8 decoding is
  // twice as slow on 1.4 MB), which is only the same string when every byte is ASCII; esbuild's
  // charset: 'ascii' escapes strings and names but leaves regular expression literals alone.
  const cli = readFileSync(join(tmp, 'cli.cjs'));
  const wide = cli.findIndex((b) => b > 0x7f);
  if (wide >= 0) {
    rmSync(tmp, { recursive: true, force: true });
    const line = cli.subarray(0, wide).toString('latin1').split('\n').length;
    throw new Error(`cli.cjs line ${line}: a non-ASCII character (in a regular expression?): write it as \\uXXXX in the source`);
  }
  // files only: not esbuild's runtime (<...>) nor our plugin's virtual modules (lazy-builtin:...)
  const files = Object.keys(result.metafile.inputs).filter((f) => !f.startsWith('<') && !/^[a-z-]+:/.test(f));
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
