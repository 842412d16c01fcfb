#!/usr/bin/env node
// Thin launcher: the CLI is bundled into dist/bundle/ by `npm run build` (run by scripts/setup.sh).
import { existsSync } from 'node:fs';
const entry = new URL('../dist/bundle/cli.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('slipway: not built yet; run `npm run build` (or `bash scripts/setup.sh`) first\n');
  process.exit(125);
}
await import(entry.href);
