import type { Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from '../util/native.js';
import { isOpaqueDir, upperEntryKind, WHITEOUT_PREFIX } from './overlay.js';
import { byteOrder, type WalkEntry } from './walk.js';

/** One name as one layer holds it: an entry, or a whiteout hiding it in the layers below. */
interface Holding {
  layer: number;
  whiteout: boolean;
  path: string;
  st?: Stats;
}

/**
 * The tree an overlay of `layers` (top first: upper dir, init layer, image snapshots) shows,
 * read without mounting it: each name comes from the highest layer that holds it, whiteouts
 * (0/0 devices, fuse-overlayfs `.wh.` files) hide it below, an opaque dir or a non-dir stops
 * the layers under it. Same order as walkTree (a directory before its children, names in byte
 * order), so it feeds the same tar writer. Works on a running container too: nothing is
 * mounted, and files that change while they are read are what the tar writer already handles.
 */
export async function* walkMerged(layers: string[], opts: { rootless?: boolean } = {}): AsyncGenerator<WalkEntry> {
  yield* mergedDir('', layers.map((_, i) => i), layers, !!opts.rootless);
}

async function* mergedDir(rel: string, below: number[], layers: string[], rootless: boolean): AsyncGenerator<WalkEntry> {
  const names = new Map<string, Holding[]>();
  const hold = (name: string, h: Holding): void => {
    const list = names.get(name);
    if (list) list.push(h);
    else names.set(name, [h]);
  };
  for (const i of below) {
    const dir = rel ? join(layers[i]!, rel) : layers[i]!;
    const entries = await readdirOrEmpty(dir);
    const stats = await Promise.all(entries.map((n) => lstat(join(dir, n))));
    entries.forEach((name, k) => {
      const st = stats[k]!;
      const path = join(dir, name);
      switch (upperEntryKind(name, st)) {
        case 'marker':
          return; // opaque markers: isOpaqueDir reads them
        case 'whiteout':
          return hold(name, { layer: i, whiteout: true, path });
        case 'whiteout-file':
          return hold(name.slice(WHITEOUT_PREFIX.length), { layer: i, whiteout: true, path });
        default:
          return hold(name, { layer: i, whiteout: false, path, st });
      }
    });
  }
  for (const name of [...names.keys()].sort(byteOrder)) {
    const list = names.get(name)!.sort((a, b) => a.layer - b.layer);
    const top = list[0]!;
    if (top.whiteout) continue;
    const childRel = rel ? `${rel}/${name}` : name;
    yield { rel: childRel, path: top.path, st: top.st! };
    if (!top.st!.isDirectory()) continue;
    // The layers this directory's contents come from: down to the first opaque copy of it,
    // or to a layer where the name is a whiteout or not a directory.
    const into: number[] = [];
    for (const h of list) {
      if (h.whiteout || !h.st!.isDirectory()) break;
      into.push(h.layer);
      if (isOpaqueDir(h.path, rootless)) break;
    }
    yield* mergedDir(childRel, into, layers, rootless);
  }
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    const c = errnoCode(e);
    if (c === 'ENOENT' || c === 'ENOTDIR') return [];
    throw e;
  }
}
