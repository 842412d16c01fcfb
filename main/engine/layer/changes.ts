import type { Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from '../util/native.js';
import { isOpaqueDir, isWhiteoutDevice, upperEntryKind, WHITEOUT_PREFIX } from './overlay.js';
import { byteOrder, walkTree } from './walk.js';

export type ChangeKind = 'A' | 'C' | 'D';
export interface Change {
  kind: ChangeKind;
  /** absolute in the container: "/etc/passwd" */
  path: string;
}

/** docker diff: A (added), C (changed), D (deleted) from an upper dir against the image's
 *  lower dirs (top first); parents of changed paths show as C, as docker does. Sorted. */
export async function upperChanges(upper: string, lowerDirs: string[], opts: { rootless?: boolean } = {}): Promise<Change[]> {
  const lower = new LowerView(lowerDirs, !!opts.rootless);
  const kinds = new Map<string, ChangeKind>();
  for await (const e of walkTree(upper)) {
    const { rel, st } = e;
    const slash = rel.lastIndexOf('/');
    const kind = upperEntryKind(rel.slice(slash + 1), st);
    if (kind === 'marker') continue; // an opaque marker: its directory reports it
    if (kind === 'whiteout' || kind === 'whiteout-file') {
      const hidden = kind === 'whiteout' ? rel : `${rel.slice(0, slash + 1)}${rel.slice(slash + 1 + WHITEOUT_PREFIX.length)}`;
      if (await lower.stat(hidden)) kinds.set(hidden, 'D');
      continue;
    }
    const below = await lower.stat(rel);
    if (!below) {
      kinds.set(rel, 'A');
      continue;
    }
    if (!st.isDirectory() || !below.isDirectory()) {
      kinds.set(rel, 'C');
      continue;
    }
    // A directory is in the upper dir because something inside it changed (its ancestors get
    // C below) or its own metadata did; its mtime says nothing (moby#9874), so it is not used.
    if (st.mode !== below.mode || st.uid !== below.uid || st.gid !== below.gid) kinds.set(rel, 'C');
    if (isOpaqueDir(e.path, opts.rootless)) {
      kinds.set(rel, 'C');
      const kept = new Set((await readdir(e.path)).map((n) => (n.startsWith(WHITEOUT_PREFIX) ? '' : n)));
      for (const name of await lower.list(rel)) if (!kept.has(name)) kinds.set(`${rel}/${name}`, 'D');
    }
  }
  for (const rel of [...kinds.keys()]) {
    for (let i = rel.lastIndexOf('/'); i > 0; i = rel.lastIndexOf('/', i - 1)) {
      const parent = rel.slice(0, i);
      if (kinds.has(parent)) break; // its own ancestors were handled when it was
      kinds.set(parent, 'C');
    }
  }
  return [...kinds.entries()]
    .map(([rel, kind]) => ({ kind, path: `/${rel}` }))
    .sort((a, b) => byteOrder(a.path, b.path));
}

/** The image's filesystem as the overlay shows it below the upper dir: lower dirs top first,
 *  each one's whiteouts and opaque dirs hiding what the dirs under it hold. */
export class LowerView {
  private readonly blockedMemo: Map<string, Promise<boolean>>[];

  constructor(private readonly lowers: string[], private readonly rootless: boolean) {
    this.blockedMemo = lowers.map(() => new Map());
  }

  /** What the merged lower dirs have at `rel`, or null when nothing (or a whiteout). */
  async stat(rel: string): Promise<Stats | null> {
    for (let i = 0; i < this.lowers.length; i++) {
      const st = await lstatOrNull(join(this.lowers[i]!, rel));
      if (st) return isWhiteoutDevice(st) ? null : st;
      if (await this.blocked(i, parentOf(rel))) return null;
    }
    return null;
  }

  /** Names visible in the merged lower dirs inside directory `rel`. */
  async list(rel: string): Promise<string[]> {
    const names = new Set<string>();
    for (const l of this.lowers) {
      for (const n of await readdir(join(l, rel)).catch(() => [] as string[])) names.add(n);
    }
    const out: string[] = [];
    for (const n of names) if (await this.stat(`${rel}/${n}`)) out.push(n);
    return out;
  }

  /** Whether lower dir `i` hides everything below `dirRel` from the lower dirs under it. */
  private blocked(i: number, dirRel: string): Promise<boolean> {
    if (dirRel === '.') return Promise.resolve(false);
    const memo = this.blockedMemo[i]!;
    let p = memo.get(dirRel);
    if (!p) {
      p = (async () => {
        const path = join(this.lowers[i]!, dirRel);
        const st = await lstatOrNull(path);
        if (st && (!st.isDirectory() || isOpaqueDir(path, this.rootless))) return true;
        return this.blocked(i, parentOf(dirRel));
      })();
      memo.set(dirRel, p);
    }
    return p;
  }
}

function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '.' : rel.slice(0, i);
}

async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (e) {
    const c = errnoCode(e);
    if (c === 'ENOENT' || c === 'ENOTDIR') return null;
    throw e;
  }
}
