import { closeSync, openSync, read, readSync, constants as fsc } from 'node:fs';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { encodeHeader, END_OF_ARCHIVE, padding, type TarHeader, type TarType } from '../layer/tar-format.js';
import { lgetxattr, nativeAvailable } from '../util/native.js';
import { fdPath, type Node, type ScopedFs } from './scoped-fs.js';

const readAsync = promisify(read);
const CHUNK = 1 << 20;

/**
 * A file or directory tree of a scope as docker cp's tar (go-archive's tarAppender): PAX
 * headers, numeric owners, whole-second mtimes, hard links as links to the first name seen,
 * security.capability kept, a directory's entries in name order. The top entry is `top`
 * ("" for the root: entries are then "/", "/etc", ...); a symlink is archived as the link.
 * Nothing is ever followed: every entry is read through the fds the walk holds.
 */
export function packNode(fs: ScopedFs, node: Node, top: string): Readable {
  const seen = new Map<string, string>();
  async function* entries(n: Node, name: string): AsyncGenerator<Buffer> {
    const st = n.st;
    const type = typeOf(n);
    if (!type) return; // a socket: docker skips them too
    const h: TarHeader = {
      name: type === 'directory' ? (name === '' ? '/' : `${name}/`) : name,
      type,
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      size: 0,
      mtime: Math.floor(st.mtimeMs / 1000),
    };
    if (type === 'symlink') h.linkname = fs.readlink(n);
    if (type === 'character-device' || type === 'block-device') {
      h.devmajor = Number((BigInt(st.rdev) >> 8n) & 0xfffn) | Number((BigInt(st.rdev) >> 32n) & ~0xfffn);
      h.devminor = Number(BigInt(st.rdev) & 0xffn) | Number((BigInt(st.rdev) >> 12n) & ~0xffn);
    }
    const cap = capability(n);
    if (cap) h.xattrs = new Map([['security.capability', cap]]);
    if (type !== 'directory' && st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      const first = seen.get(key);
      if (first !== undefined) {
        h.type = 'link';
        h.linkname = first;
      } else seen.set(key, name);
    }
    if (h.type === 'file') h.size = st.size;
    yield encodeHeader(h);
    if (h.type === 'file' && h.size > 0) yield* fileData(n, h.size);
    if (type !== 'directory') return;
    for (const c of fs.list(n)) {
      const child = fs.child(n, c);
      if (!child) continue; // gone meanwhile
      try {
        yield* entries(child, name === '' ? `/${c}` : name === '.' ? `./${c}` : `${name}/${c}`);
      } finally {
        fs.release(child);
      }
    }
  }
  async function* archive(): AsyncGenerator<Buffer> {
    yield* entries(node, top);
    yield END_OF_ARCHIVE;
  }
  return Readable.from(archive(), { objectMode: false });
}

function typeOf(n: Node): TarType | undefined {
  const st = n.st;
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'character-device';
  if (st.isBlockDevice()) return 'block-device';
  if (st.isFIFO()) return 'fifo';
  return undefined;
}

function capability(n: Node): Buffer | null {
  if (!n.parent || !nativeAvailable() || n.st.isSymbolicLink()) return null;
  try {
    return lgetxattr(fdPath(n.parent.fd, n.name), 'security.capability');
  } catch {
    return null;
  }
}

/**
 * Exactly `size` bytes of a regular file, read from the inode the walk holds (reopened through
 * its fd): a file that shrank meanwhile is padded with zeros and one that grew is cut, so the
 * archive stays valid while a running container writes.
 */
async function* fileData(n: Node, size: number): AsyncGenerator<Buffer> {
  const fd = openSync(fdPath(n.fd), fsc.O_RDONLY);
  let left = size;
  try {
    while (left > 0) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, left));
      // a small file is read here: a thread pool hand-off per read costs more than the read
      const bytesRead = size < CHUNK ? readSync(fd, buf, 0, buf.length, null) : (await readAsync(fd, buf, 0, buf.length, null)).bytesRead;
      if (bytesRead === 0) break;
      left -= bytesRead;
      yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
    }
  } finally {
    closeSync(fd);
  }
  if (left > 0) yield Buffer.alloc(left);
  const pad = padding(size);
  if (pad) yield pad;
}
