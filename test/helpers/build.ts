import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
// @ts-expect-error: a plain .mjs build script without type declarations
import { stale } from '../../scripts/bundle.mjs';

export const REPO = join(import.meta.dirname, '..', '..');

/**
 * Bring dist/bundle (what bin/slipway.js runs, as users run it) up to date with the sources:
 * every test helper that runs the CLI calls this, so no test runs stale code. The check is a
 * stat of the files the last bundle was made from; the rebuild runs under a lock, re-checked
 * inside it, so parallel test files bundle once.
 */
export function ensureBuilt(): void {
  if (!(stale as () => boolean)()) return;
  mkdirSync(join(REPO, 'dist'), { recursive: true });
  const r = spawnSync('flock', [join(REPO, 'dist', '.bundle.lock'), process.execPath, 'scripts/bundle.mjs', '--if-stale'], {
    cwd: REPO,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`bundling the CLI failed (node scripts/bundle.mjs):\n${r.stderr}`);
}
