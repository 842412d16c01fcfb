import { createReadStream, openSync, constants as fsc, rmSync, createWriteStream } from 'node:fs';
import { join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { Engine } from '../engine.js';
import { ScopedFs, fdPath, type Node } from '../archive/scoped-fs.js';
import { packNode } from '../archive/tar-out.js';
import { checkArchive, extractInto } from '../archive/tar-in.js';
import { InvalidArgumentError, NotFoundError, isEngineError, ErrorCode } from '../model/errors.js';
import { volumeDirs } from './local.js';
import { dirSizeAsync } from '../image/usage.js';
import { isRootless } from '../rootless/detect.js';
import { liveTempName } from '../util/ids.js';
import { ANONYMOUS_LABEL } from '../services/volumes.js';

/**
 * A volume's files for the app: listed, read, exported and imported through a scope rooted at
 * the volume's _data (archive/scoped-fs.ts), so a symlink a container left in the volume
 * ("/data/x -> /etc/shadow" or "../../..") is shown as a link and never followed out of it.
 */

export interface VolumeFile {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  size: number;
  mode: number;
  target?: string;
}

export interface VolumeOverview {
  name: string;
  driver: string;
  created: string;
  mountpoint: string;
  labels: Record<string, string>;
  anonymous: boolean;
  size: number;
  containers: { id: string; name: string; state: string }[];
}

function scopeOf(engine: Engine, name: string): ScopedFs {
  engine.volumes.get(name); // NotFound for an unknown volume
  return ScopedFs.open(volumeDirs(engine.store.paths.volumes, name).data);
}

/** Every volume with its size and the containers (any state) that mount it (sizes walked without blocking). */
export async function volumeOverviews(engine: Engine): Promise<VolumeOverview[]> {
  const users = engine.volumes.users();
  const volumes = engine.volumes.list();
  const sizes = await Promise.all(volumes.map((v) => dirSizeAsync(v.Mountpoint)));
  return volumes.map((v, i) => ({
    name: v.Name,
    driver: v.Driver,
    created: v.CreatedAt,
    mountpoint: v.Mountpoint,
    labels: v.Labels ?? {},
    anonymous: !!v.Labels && ANONYMOUS_LABEL in v.Labels,
    size: sizes[i]!,
    containers: (users.get(v.Name) ?? []).flatMap((id) => {
      const c = engine.containers.find(id);
      return c ? [{ id: c.id, name: c.name, state: c.state }] : [];
    }),
  }));
}

/** The volume's tree, depth first in name order ("/" is the volume's top); at most `limit` entries. */
export function volumeFiles(engine: Engine, name: string, limit: number): { files: VolumeFile[]; truncated: boolean } {
  const fs = scopeOf(engine, name);
  const files: VolumeFile[] = [];
  let truncated = false;
  const walk = (dir: Node): void => {
    for (const c of fs.list(dir)) {
      if (files.length >= limit) {
        truncated = true;
        return;
      }
      const n = fs.child(dir, c);
      if (!n) continue; // gone meanwhile
      try {
        const st = n.st;
        const type = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other';
        const f: VolumeFile = { path: n.path, type, size: type === 'file' ? st.size : 0, mode: st.mode & 0o7777 };
        if (type === 'symlink') f.target = fs.readlink(n);
        files.push(f);
        if (type === 'dir') walk(n);
      } finally {
        fs.release(n);
      }
    }
  };
  try {
    walk(fs.root);
  } finally {
    fs.close();
  }
  return { files, truncated };
}

/** One regular file of a volume, opened from the inode the walk found (the path's last link is not followed). */
export function openVolumeFile(engine: Engine, name: string, path: string): { name: string; size: number; stream: Readable } {
  if (!path || path === '/') throw new InvalidArgumentError('path is required: name a file in the volume');
  const fs = scopeOf(engine, name);
  try {
    let n;
    try {
      n = fs.resolve(posix.join('/', path), { followLast: false });
    } catch (e) {
      if (isEngineError(e, ErrorCode.NOT_FOUND)) throw new NotFoundError(`no such file in volume ${name}: ${path}`);
      throw e;
    }
    if (!('fd' in n)) throw new NotFoundError(`no such file in volume ${name}: ${path}`);
    if (!n.st.isFile()) throw new InvalidArgumentError(`${path} in volume ${name} is not a regular file${n.st.isSymbolicLink() ? ' (a symlink: download what it points to)' : ''}`);
    const fd = openSync(fdPath(n.fd), fsc.O_RDONLY);
    const size = n.st.size;
    fs.release(n);
    return { name: posix.basename(path), size, stream: createReadStream('', { fd }) };
  } finally {
    fs.close();
  }
}

/** The volume's contents as a tar ("./", "./f", ...), as `tar -C /data -c .` in a container would make. */
export function exportVolume(engine: Engine, name: string): Readable {
  const fs = scopeOf(engine, name);
  const tar = packNode(fs, fs.root, '.');
  tar.once('close', () => fs.close());
  return tar;
}

/** Extract a tar (plain or gzip) into the volume; the whole archive is read through before anything is written. */
export async function importVolume(engine: Engine, name: string, src: Readable): Promise<void> {
  engine.volumes.get(name);
  const spool = join(engine.store.paths.tmp, liveTempName('volume-import'));
  try {
    await pipeline(src, createWriteStream(spool, { mode: 0o600 }));
    await checkArchive(createReadStream(spool));
    const fs = scopeOf(engine, name);
    try {
      await extractInto(fs, fs.root, createReadStream(spool), { lchown: true, userns: isRootless() });
    } finally {
      fs.close();
    }
  } finally {
    rmSync(spool, { force: true });
  }
}
