import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Build the CLI (dist/) and the renderer (renderer/dist) once for all end-to-end files. */
export default function setup(): void {
  const root = join(import.meta.dirname, '..', '..');
  const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], timeout: 300_000 });
  // Other areas' type errors must not stop the app's tests: emit anyway.
  try {
    run('npx', ['tsc', '-p', 'tsconfig.json', '--noEmitOnError', 'false']);
  } catch {
    // tsc exits non-zero on type errors even when it emitted
  }
  run('npx', ['vite', 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'error']);
}
