import { lstatSync, readdirSync, readFileSync, readlinkSync, type Stats } from 'node:fs';
import { join, posix } from 'node:path';
import { isOpaqueSnapshotDir, isWhiteoutDevice } from '../layer/overlay.js';

/**
 * A read-only merged view of stacked snapshot dirs (bottom first), resolved the way overlayfs
 * would show them: upper entries hide lower ones, char 0/0 devices are whiteouts, opaque dirs
 * hide everything below. Lets the builder read /etc/passwd, stat COPY destinations' parents
 * and copy out of another stage without mounting anything.
 */
export interface ViewEntry {
  /** the real file on the host */
  hostPath: string;
  stat: Stats;
  /** which layer it came from (index into the dirs, 0 = bottom) */
  layer: number;
}

const MAX_LINKS = 40;

export class LayerView {
  constructor(readonly dirs: string[]) {}

  /** The entry at a path whose parents are already resolved (no symlink following). */
  private entryAt(clean: string): ViewEntry | undefined {
    for (let i = this.dirs.length - 1; i >= 0; i--) {
      const hostPath = join(this.dirs[i]!, clean);
      let st: Stats;
      try {
        st = lstatSync(hostPath);
      } catch {
        // An opaque parent dir in this layer hides everything below it.
        if (clean !== '/' && this.opaqueAbove(i, clean)) return undefined;
        continue;
      }
      if (isWhiteoutDevice(st)) return undefined;
      return { hostPath, stat: st, layer: i };
    }
    return undefined;
  }

  private opaqueAbove(layer: number, clean: string): boolean {
    let d = posix.dirname(clean);
    while (d !== '/') {
      const p = join(this.dirs[layer]!, d);
      try {
        if (lstatSync(p).isDirectory() && isOpaqueSnapshotDir(p)) return true;
      } catch {
        // not in this layer
      }
      d = posix.dirname(d);
    }
    return false;
  }

  /**
   * Resolve `path` (absolute, in the image) following symlinks in every component, and in
   * the last one too when `followLast`. Returns the canonical image path and its entry.
   */
  resolve(path: string, followLast = true): { path: string; entry?: ViewEntry } {
    const parts = posix.normalize(`/${path}`).split('/').filter(Boolean);
    let cur = '/';
    let links = 0;
    while (parts.length) {
      const name = parts.shift()!;
      if (name === '..') {
        cur = posix.dirname(cur);
        continue;
      }
      if (name === '.') continue;
      const next = posix.join(cur, name);
      const e = this.entryAt(next);
      if (e && e.stat.isSymbolicLink() && (parts.length > 0 || followLast)) {
        if (++links > MAX_LINKS) return { path: next };
        const target = readlinkSync(e.hostPath);
        parts.unshift(...target.split('/').filter(Boolean));
        cur = target.startsWith('/') ? '/' : cur;
        continue;
      }
      if (!e && parts.length > 0) return { path: posix.join(next, ...parts) };
      cur = next;
    }
    return { path: cur, entry: cur === '/' ? this.rootEntry() : this.entryAt(cur) };
  }

  private rootEntry(): ViewEntry | undefined {
    if (this.dirs.length === 0) return undefined;
    const i = this.dirs.length - 1;
    return { hostPath: this.dirs[i]!, stat: lstatSync(this.dirs[i]!), layer: i };
  }

  stat(path: string, followLast = true): ViewEntry | undefined {
    return this.resolve(path, followLast).entry;
  }

  readFile(path: string): Buffer | undefined {
    const e = this.stat(path);
    if (!e || !e.stat.isFile()) return undefined;
    return readFileSync(e.hostPath);
  }

  /** Names in a directory of the merged view (whiteouts and opaque dirs honoured). */
  readdir(path: string): string[] {
    const r = this.resolve(path);
    if (!r.entry || !r.entry.stat.isDirectory()) return [];
    const seen = new Map<string, boolean>();
    for (let i = this.dirs.length - 1; i >= 0; i--) {
      const d = join(this.dirs[i]!, r.path);
      let st: Stats;
      try {
        st = lstatSync(d);
      } catch {
        if (r.path !== '/' && this.opaqueAbove(i, r.path)) break;
        continue;
      }
      if (!st.isDirectory()) break;
      for (const n of readdirSync(d)) {
        if (seen.has(n)) continue;
        const s = lstatSync(join(d, n));
        seen.set(n, !isWhiteoutDevice(s));
      }
      if (r.path !== '/' && isOpaqueSnapshotDir(d)) break;
    }
    return [...seen].filter(([, live]) => live).map(([n]) => n).sort();
  }
}
