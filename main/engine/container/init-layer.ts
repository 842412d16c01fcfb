import { chownSync, existsSync, lstatSync, mkdirSync, renameSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';

const DIRS = ['dev', 'proc', 'sys', 'etc'];
const FILES = ['etc/hostname', 'etc/hosts', 'etc/resolv.conf'];

/**
 * docker's "-init" layer: a read-only layer between the image and the container's writable
 * layer holding the mount points runc needs (/proc, /sys, /dev, /etc/hostname, /etc/hosts,
 * /etc/resolv.conf). Without it runc creates them in the upper dir and they show up in
 * `diff` and in committed images. Directories copy the owner and mode of the image's own.
 */
export function ensureInitLayer(dir: string, lowersTopFirst: string[]): string {
  if (existsSync(dir)) return dir;
  const tmp = `${dir}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  // not recursive: a container directory that a racing `rm -f` deleted is not made again
  mkdirSync(tmp, { mode: 0o755 });
  for (const d of DIRS) {
    const p = join(tmp, d);
    mkdirSync(p, { mode: 0o755 });
    const below = lowersTopFirst.map((l) => join(l, d)).find((l) => existsSync(l));
    if (below) {
      const st = lstatSync(below);
      if (st.isDirectory()) {
        chmodSync(p, st.mode & 0o7777);
        chownSync(p, st.uid, st.gid);
      }
    }
  }
  for (const f of FILES) {
    const below = lowersTopFirst.map((l) => join(l, f)).find((l) => existsSync(l));
    // Keep an image's own file visible (the bind mount hides it anyway) unless it is absent.
    if (!below) writeFileSync(join(tmp, f), '', { mode: 0o644 });
  }
  renameSync(tmp, dir);
  return dir;
}
