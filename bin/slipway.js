#!/usr/bin/env -S node --
// `node --`: Node 20 reads `--env-file` anywhere in argv (even after the script) and exits when
// the file is missing, so `slipway run --env-file x` would never reach us without it.
// Launcher: runs the CLI bundle (dist/bundle/cli.cjs, made by `npm run build`) with V8's code
// cache. Node 20 has no compile cache of its own, and compiling the bundle is most of what a
// CLI call costs after Node's own start, so the code compiled by the first run of each verb
// after a build is kept in dist/bundle/code-cache/<verb> (written at exit, atomically; V8
// rejects a cache that does not fit this source and these flags, and then that run writes a
// new one). One cache per verb: a cache holds what its run compiled, and `run` compiles other
// code than `ps`. CommonJS (bin/package.json) so that Node never starts its ES module loader.
'use strict';
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { dirname, join } = require('node:path');
const vm = require('node:vm');

const file = join(__dirname, '..', 'dist', 'bundle', 'cli.cjs');
let source;
try {
  // ASCII only (scripts/bundle.mjs checks), so latin1 is the same string, and faster to make
  source = readFileSync(file, 'latin1');
} catch {
  process.stderr.write('slipway: not built yet; run `npm run build` (or `bash scripts/setup.sh`) first\n');
  process.exit(125);
}
const verb = /^[a-z][a-z-]{0,30}$/.test(process.argv[2] ?? '') ? process.argv[2] : 'other';
const cacheDir = join(dirname(file), 'code-cache');
const cacheFile = join(cacheDir, verb);
let cachedData;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  // the first run after a build
}
// The bundle has no import() (scripts/bundle.mjs checks), so no ES module loader is needed.
const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
if (!cachedData || script.cachedDataRejected) {
  process.once('exit', () => {
    try {
      mkdirSync(cacheDir, { recursive: true });
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, cacheFile);
    } catch {
      // a read-only install runs without the cache
    }
  });
}
const bundle = { exports: {}, filename: file, id: file, loaded: false };
script.runInThisContext()(bundle.exports, Module.createRequire(file), bundle, file, dirname(file));
