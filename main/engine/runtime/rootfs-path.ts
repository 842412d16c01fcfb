import { lstatSync, readlinkSync, mkdirSync } from 'node:fs';
import { join, posix } from 'node:path';

/**
 * Resolve `path` inside `rootfs` as the container would see it: symlinks are followed but
 * interpreted relative to the rootfs, so a hostile image cannot make us read or create
 * files outside it (the same job as Go's securejoin). Returns a host path under rootfs.
 */
export function scopedPath(rootfs: string, path: string): string {
  const parts = posix.normalize(`/${path}`).split('/').filter(Boolean);
  const resolved: string[] = [];
  let hops = 0;
  while (parts.length) {
    const p = parts.shift()!;
    if (p === '.') continue;
    if (p === '..') {
      resolved.pop();
      continue;
    }
    const host = join(rootfs, ...resolved, p);
    let st;
    try {
      st = lstatSync(host);
    } catch {
      resolved.push(p);
      continue;
    }
    if (st.isSymbolicLink()) {
      if (++hops > 40) throw new Error(`too many symlinks resolving ${path}`);
      const target = readlinkSync(host);
      if (target.startsWith('/')) resolved.length = 0;
      parts.unshift(...target.split('/').filter(Boolean));
      continue;
    }
    resolved.push(p);
  }
  return join(rootfs, ...resolved);
}

/** mkdir -p inside the rootfs (docker creates a missing WORKDIR / -w dir). */
export function mkdirScoped(rootfs: string, path: string): void {
  const parts = posix.normalize(`/${path}`).split('/').filter(Boolean);
  let cur = '/';
  for (const p of parts) {
    cur = posix.join(cur, p);
    try {
      mkdirSync(scopedPath(rootfs, cur), { mode: 0o755 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}
