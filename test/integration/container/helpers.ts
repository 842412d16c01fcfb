import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { FIXTURES, tempRoot } from '../../helpers/tmp-store.js';
import { ensureBuilt } from '../../helpers/build.js';
import { slipway, type Run } from '../image/cli.js';

export { ensureBuilt };

export const BUSYBOX = 'localhost/busybox';

/** A temp store with the busybox fixture loaded, and `sw(...)` = the CLI against it. */
export function containerStore(): { root: string; sw: (...args: string[]) => Run; cleanup: () => void } {
  ensureBuilt();
  const { root, cleanup } = tempRoot('slipway-ctr-');
  // dist/bundle is switched by one rename, so a rebuild meanwhile never shows a CLI half of each.
  const sw = (...args: string[]) => slipway(root, args);
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
