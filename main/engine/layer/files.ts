import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isOpaqueSnapshotDir, isWhiteoutDevice } from './overlay.js';

/** One entry of a layer, as the app's layer explorer lists it. */
export interface LayerFile {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  size: number;
  mode: number;
  /** deleted: an overlay whiteout; opaque: a directory that hides everything below it */
  mark: 'added' | 'changed' | 'deleted' | 'opaque';
  target?: string;
}

/**
 * What one layer holds, read from its unpacked snapshot: every entry with added / changed /
 * deleted / opaque marks. A snapshot stores deletions as overlay whiteouts (0/0 character
 * devices) and replaced directories as opaque ones (the overlay xattr), so both are read
 * straight off the disk; "changed" means a lower layer of the same image already had that
 * path. Async fs calls only: a big layer never blocks the bridge.
 */
export async function layerFiles(snapshot: string, lowers: string[], limit: number): Promise<{ files: LayerFile[]; truncated: boolean }> {
  const files: LayerFile[] = [];
  let truncated = false;

  async function existsBelow(rel: string): Promise<boolean> {
    for (const dir of lowers) {
      try {
        const st = await lstat(join(dir, rel));
        // a whiteout in a lower layer means the path was gone by then
        return !isWhiteoutDevice(st);
      } catch {
        // not in this layer: look further down
      }
    }
    return false;
  }

  async function walk(rel: string): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(join(snapshot, rel))).sort();
    } catch {
      return;
    }
    for (const name of names) {
      if (files.length >= limit) {
        truncated = true;
        return;
      }
      const childRel = rel ? `${rel}/${name}` : name;
      const st = await lstat(join(snapshot, childRel));
      const whiteout = isWhiteoutDevice(st);
      const type: LayerFile['type'] = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'other';
      const below = await existsBelow(childRel);
      const opaque = type === 'dir' && isOpaqueSnapshotDir(join(snapshot, childRel));
      const mark: LayerFile['mark'] = whiteout ? 'deleted' : opaque ? 'opaque' : below ? 'changed' : 'added';
      const entry: LayerFile = { path: `/${childRel}`, type: whiteout ? 'other' : type, size: st.isFile() ? st.size : 0, mode: st.mode & 0o7777, mark };
      if (type === 'symlink') entry.target = await readlink(join(snapshot, childRel)).catch(() => '');
      files.push(entry);
      if (type === 'dir') await walk(childRel);
    }
  }

  await walk('');
  return { files, truncated };
}
