import type { Stats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { LowerView, type Change, type ChangeKind } from './changes.js';
import { byteOrder, walkTree } from './walk.js';

/**
 * What the copy driver's container changed: its rootfs is a full copy of the image, so the
 * changes come from comparing it with the image's layers (docker's ChangesDirs), not from an
 * upper dir. `include` is every path a layer of these changes must carry (changed entries and
 * their parent dirs, whose metadata a layer on top would otherwise reset); `whiteouts` maps a
 * directory ("" = the root) to the names deleted from it.
 */
export interface RootfsDiff {
  changes: Change[];
  include: Set<string>;
  whiteouts: Map<string, string[]>;
}

export async function rootfsDiff(rootfs: string, lowerDirs: string[], opts: { rootless?: boolean } = {}): Promise<RootfsDiff> {
  const lower = new LowerView(lowerDirs, !!opts.rootless);
  const kinds = new Map<string, ChangeKind>();
  const include = new Set<string>();
  const whiteouts = new Map<string, string[]>();
  const keep = (rel: string): void => {
    for (let p = rel; p && !include.has(p); p = p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '') include.add(p);
  };
  const deletions = async (dirRel: string, dirPath: string): Promise<void> => {
    const present = new Set(await readdir(dirPath));
    const gone = (await lower.list(dirRel || '.')).filter((n) => !present.has(n)).sort(byteOrder);
    if (!gone.length) return;
    whiteouts.set(dirRel, gone);
    for (const n of gone) kinds.set(dirRel ? `${dirRel}/${n}` : n, 'D');
    if (dirRel) keep(dirRel);
  };

  await deletions('', rootfs);
  for await (const e of walkTree(rootfs)) {
    const below = await lower.stat(e.rel);
    if (!below) {
      kinds.set(e.rel, 'A');
      keep(e.rel);
      continue;
    }
    if (await differs(e.st, below, e.path, lowerPathOf(lowerDirs, e.rel))) {
      kinds.set(e.rel, 'C');
      keep(e.rel);
    }
    if (e.st.isDirectory() && below.isDirectory()) await deletions(e.rel, e.path);
  }
  for (const rel of include) if (!kinds.has(rel)) kinds.set(rel, 'C'); // parents of changes
  const changes = [...kinds.entries()].map(([rel, kind]) => ({ kind, path: `/${rel}` })).sort((a, b) => byteOrder(a.path, b.path));
  return { changes, include, whiteouts };
}

/** Same entry as the image's? Directory mtimes say nothing (moby#9874); file mtimes and
 *  sizes are what `cp -a` keeps, so a difference there is a change (docker's rule too). */
async function differs(a: Stats, b: Stats, aPath: string, bPath: () => Promise<string | null>): Promise<boolean> {
  if (a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid) return true;
  if (a.isDirectory()) return false;
  if (a.size !== b.size || a.mtimeMs !== b.mtimeMs || a.rdev !== b.rdev) return true;
  if (a.isSymbolicLink()) {
    const p = await bPath();
    return p === null || (await readlink(aPath)) !== (await readlink(p));
  }
  return false;
}

/** The path of `rel` in the topmost lower dir holding it (for reading a symlink target). */
function lowerPathOf(lowerDirs: string[], rel: string): () => Promise<string | null> {
  return async () => {
    for (const l of lowerDirs) {
      const p = `${l}/${rel}`;
      if (await lstat(p).then(() => true, () => false)) return p;
    }
    return null;
  };
}
