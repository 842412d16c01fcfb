import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { LayerMount } from './driver.js';

/**
 * overlay's mount data must fit in one page (4 KiB): 100 absolute snapshot paths do not.
 * So the lowers become symlinks "0", "1", ... in linkDir (top layer first, as lowerdir wants
 * them) and the options use paths relative to linkDir, which the mount is made from.
 */
export function overlayOptions(m: LayerMount, extra: string[] = []): string {
  rmSync(m.linkDir, { recursive: true, force: true });
  // not recursive: a container directory that a racing `rm -f` deleted is not made again
  mkdirSync(m.linkDir);
  const top = [...m.lowers].reverse();
  top.forEach((dir, i) => symlinkSync(dir, join(m.linkDir, String(i))));
  const lower = top.map((_, i) => String(i)).join(':');
  return [`lowerdir=${lower}`, `upperdir=${relative(m.linkDir, m.upper)}`, `workdir=${relative(m.linkDir, m.work)}`, ...extra].join(',');
}
