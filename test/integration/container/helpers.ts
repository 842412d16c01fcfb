import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { FIXTURES, tempRoot } from '../../helpers/tmp-store.js';
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { REPO, slipway, type Run } from '../image/cli.js';

function newest(dir: string): number {
  let t = 0;
  for (const n of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, n.name);
    if (n.isDirectory()) t = Math.max(t, newest(p));
    else if (n.name.endsWith('.ts')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

/**
 * Compile when the container code (or the CLI) is newer than dist/. Other areas' sources are
 * edited constantly by other work in this checkout; waiting for them would only slow us.
 */
export function ensureBuilt(): void {
  const entry = join(REPO, 'dist', 'main', 'cli', 'index.js');
  const mine = ['main/engine/container', 'main/engine/runtime', 'main/engine/mount', 'main/cli'].map((d) => newest(join(REPO, d)));
  if (existsSync(entry) && statSync(entry).mtimeMs >= Math.max(...mine)) return;
  spawnSync('flock', ['/tmp/slipway-tsc.lock', 'npx', 'tsc', '-p', 'tsconfig.json'], { cwd: REPO, stdio: 'ignore' });
  if (!existsSync(entry)) throw new Error('the CLI did not build');
}

export const BUSYBOX = 'localhost/busybox';

const BUILD_RACE = /does not provide an export named|Cannot find module|ERR_MODULE_NOT_FOUND|SyntaxError|Unexpected end of input/;

/** A temp store with the busybox fixture loaded, and `sw(...)` = the CLI against it. */
export function containerStore(): { root: string; sw: (...args: string[]) => Run; cleanup: () => void } {
  ensureBuilt();
  const { root, cleanup } = tempRoot('slipway-ctr-');
  const sw = (...args: string[]) => {
    const r = slipway(root, args);
    // Other work in this checkout recompiles dist/ at any moment; a CLI that started while a
    // module was half-written fails to load. That is the build racing, not slipway: run again.
    if (r.code === 125 && BUILD_RACE.test(r.stderr)) return slipway(root, args);
    return r;
  };
  const l = sw('load', '-i', join(FIXTURES, 'busybox-docker.tar'));
  if (l.code !== 0) throw new Error(`load failed: ${l.stderr}`);
  return {
    root,
    sw,
    cleanup: () => {
      // Remove what is left (stops running containers and unmounts) before deleting the dir.
      const ids = sw('ps', '-aq', '--no-trunc').stdout.split('\n').filter(Boolean);
      if (ids.length) sw('rm', '-f', ...ids);
      cleanup();
    },
  };
}

/** Lines of /proc/self/mountinfo that mention `path`. */
export function mountsUnder(path: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(path));
}

export function fullId(sw: (...a: string[]) => Run, name: string): string {
  return sw('inspect', '-f', '{{.Id}}', name).stdout.trim();
}

export async function until(cond: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

export { existsSync };
