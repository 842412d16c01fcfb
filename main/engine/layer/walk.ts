import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readdirWithStats } from '../util/native.js';

export interface WalkEntry {
  /** path relative to the walked root, "a/b" */
  rel: string;
  /** absolute path */
  path: string;
  st: Stats;
}

/**
 * Every entry under `root` (not the root itself), depth-first, each directory's children in
 * byte order of their names, a directory before its children: the same tree always gives the
 * same order. `descend(entry)` may veto walking into a directory.
 */
export async function* walkTree(root: string, descend?: (e: WalkEntry) => boolean): AsyncGenerator<WalkEntry> {
  yield* walkDir(root, '', descend);
}

async function* walkDir(dir: string, relDir: string, descend?: (e: WalkEntry) => boolean): AsyncGenerator<WalkEntry> {
  const names = (await readdir(dir)).sort(byteOrder);
  // lstat a whole directory at once: the thread pool overlaps the syscalls.
  const stats = await Promise.all(names.map((n) => lstat(join(dir, n))));
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const e: WalkEntry = { rel: relDir ? `${relDir}/${name}` : name, path: join(dir, name), st: stats[i]! };
    // Asked before the entry is handed out, so a caller can leave a vetoed dir out entirely.
    const into = e.st.isDirectory() && (!descend || descend(e));
    yield e;
    if (into) yield* walkDir(e.path, e.rel, descend);
  }
}

/**
 * walkTree with plain syscalls (one addon call per directory where the addon has it): for a
 * thread that may block, such as the builder's packing thread. No thread-pool round trip per
 * entry.
 */
export function* walkTreeSync(root: string, descend?: (e: WalkEntry) => boolean): Generator<WalkEntry> {
  yield* walkDirSync(root, '', descend);
}

function* walkDirSync(dir: string, relDir: string, descend?: (e: WalkEntry) => boolean): Generator<WalkEntry> {
  const entries = readdirWithStats(dir) ?? readdirSync(dir).sort(byteOrder).map((n): [string, Stats] => [n, lstatSync(join(dir, n))]);
  for (const [name, st] of entries) {
    const e: WalkEntry = { rel: relDir ? `${relDir}/${name}` : name, path: join(dir, name), st };
    const into = st.isDirectory() && (!descend || descend(e));
    yield e;
    if (into) yield* walkDirSync(e.path, e.rel, descend);
  }
}

/** Code-unit order: the same as UTF-8 byte order (GNU tar --sort=name) outside astral planes. */
export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
