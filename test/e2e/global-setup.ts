import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureBuilt } from '../helpers/build.js';

/** Bundle the CLI (dist/bundle) when stale and build the renderer (renderer/dist) once for all end-to-end files. */
export default function setup(): void {
  const root = join(import.meta.dirname, '..', '..');
  const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], timeout: 300_000 });
  ensureBuilt();
  run('npx', ['vite', 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'error']);
}
