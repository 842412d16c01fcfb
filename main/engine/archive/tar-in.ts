import { closeSync, constants as fsc, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync, lutimesSync, mkdirSync, open, openSync, symlinkSync, write } from 'node:fs';
import { promisify } from 'node:util';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { EngineError, ErrorCode, InvalidArgumentError } from '../model/errors.js';
import { decompressed, forEachTarEntry, paxNumber, times, writeFully, type Header } from '../layer/apply.js';
import { errnoCode, lsetxattr, mknod, nativeAvailable, S_IFBLK, S_IFCHR, S_IFIFO } from '../util/native.js';
import { fdPath, type Node, type ScopedFs } from './scoped-fs.js';

export interface ExtractOptions {
  /** docker's NoOverwriteDirNonDir: never replace a directory with a non-directory or back */
  noOverwriteDirNonDir?: boolean;
  /** give entries the archive's owners (docker's daemon does; its client, extracting on the host, does not) */
  lchown: boolean;
  /** every entry gets this owner instead (docker's cp -a into a container whose User is set) */
  chown?: { uid: number; gid: number };
  /** rename entries first (the client's rebase of the top entry) */
  rename?: (name: string) => string;
  /** inside a user namespace: device nodes are skipped and unmapped owners kept as they fall */
  userns?: boolean;
}

/** One extraction's state: the directories entries went into, kept open while nothing is replaced. */
interface Extraction {
  fs: ScopedFs;
  dest: Node;
  o: ExtractOptions;
  dirs: DirTimes[];
  parents: Map<string, Node>;
}

/** Something was removed or a symlink made: a cached parent may no longer be what its path names. */
function forgetParents(x: Extraction): void {
  for (const n of x.parents.values()) x.fs.release(n);
  x.parents.clear();
}

interface DirTimes {
  /** canonical path in the scope */
  path: string;
  mode: number;
  atime: number;
  mtime: number;
}

/**
 * docker's Untar for cp (go-archive createTarFile with NoOverwriteDirNonDir), into the
 * directory `dest` of a scope: every entry's parent is resolved inside the scope (symlinks
 * re-rooted there, missing parents made 0755), its own name is created relative to that
 * directory's fd with O_EXCL|O_NOFOLLOW, and what was there is removed by fd first, so no
 * entry and no link planted meanwhile can reach outside. An entry under a read-only mount is
 * refused as docker refuses it. Directory modes and times are set last, deepest first.
 */
export async function extractInto(fs: ScopedFs, dest: Node, src: Readable, o: ExtractOptions): Promise<void> {
  const x: Extraction = { fs, dest, o, dirs: [], parents: new Map() };
  const dirs = x.dirs;
  try {
    await forEachTarEntry(await decompressed(src), (h, body) => entry(x, h, body));
  } catch (e) {
    src.destroy();
    if (e instanceof EngineError) throw e;
    throw new InvalidArgumentError(`the archive is not a valid tar: ${(e as Error).message}`);
  } finally {
    forgetParents(x);
  }
  for (const d of dirs.sort((a, b) => b.path.split('/').length - a.path.split('/').length)) {
    let n: Node | undefined;
    try {
      const r = fs.resolve(d.path, { followLast: false });
      if (!('fd' in r) || !r.st.isDirectory()) continue;
      n = r;
      const fd = openSync(fdPath(n.fd), fsc.O_RDONLY | fsc.O_DIRECTORY);
      try {
        fchmodSync(fd, d.mode);
        futimesSync(fd, d.atime, d.mtime);
      } finally {
        closeSync(fd);
      }
    } catch {
      // removed by a later entry
    } finally {
      fs.release(n);
    }
  }
}

/**
 * Read a tar through once, writing nothing: every entry's data there and an end, no name or
 * hard link leading out with "..". PUT runs it on a spooled body first, so a broken or hostile
 * archive is refused whole and leaves the container as it was.
 */
export async function checkArchive(src: Readable): Promise<void> {
  try {
    await forEachTarEntry(await decompressed(src), async (h, body) => {
      relOf(h.name, h.name);
      if (h.type === 'link') relOf(h.linkname ?? '', h.linkname ?? '');
      body.resume();
      await new Promise<void>((res, rej) => body.once('end', res).once('error', rej));
    });
  } catch (e) {
    src.destroy();
    if (e instanceof EngineError) throw e;
    throw new InvalidArgumentError(`the archive is not a valid tar: ${(e as Error).message}`);
  }
}

/** The entry's path relative to the destination ("." for itself); docker's breakout check. */
function relOf(name: string, shown: string): string {
  if (!name.startsWith('/')) {
    const c = posix.normalize(name);
    if (c === '..' || c.startsWith('../')) throw new InvalidArgumentError(`refusing to extract "${shown}": the path leads outside the destination with ".."; the archive is unsafe`);
  }
  const n = posix.normalize(`/${name}`).slice(1).replace(/\/+$/, '');
  return n === '' ? '.' : n;
}

async function entry(x: Extraction, h: Header, body: Readable): Promise<void> {
  const { fs, dest, o, dirs } = x;
  const name = o.rename ? o.rename(h.name) : h.name;
  const rel = relOf(name, h.name);
  const isDir = h.type === 'directory';
  if (rel === '.') {
    body.resume();
    return; // docker merges into the destination without touching it
  }
  const parent = parentOf(x, rel, h.name);
  const base = posix.basename(rel);
  const where = parent.path === '/' ? `/${base}` : `${parent.path}/${base}`;
  try {
    if (!fs.writable(where)) throw new InvalidArgumentError('mounted volume is marked read-only');
    const at = fdPath(parent.fd, base);
    const isFile = h.type === 'file' || h.type === 'contiguous-file';
    // a file is created at once when nothing is there (the common case: one call, no lookup);
    // big ones are written in the thread pool so the archive keeps coming in meanwhile, small
    // ones here (a thread hand-off per call costs more than the write)
    const big = (h.size ?? 0) >= ASYNC_FROM;
    let fd: number | undefined;
    if (isFile) {
      try {
        fd = big ? await openAsync(at, CREATE, 0o600) : openSync(at, CREATE, 0o600);
      } catch (e) {
        if (errnoCode(e) !== 'EEXIST') throw e;
      }
    }
    const existing = fd === undefined ? fs.child(parent, base) : undefined;
    let keptDir = false;
    if (existing) {
      const wasDir = existing.st.isDirectory();
      keptDir = wasDir && isDir;
      fs.release(existing);
      if (o.noOverwriteDirNonDir && wasDir && !isDir) throw new InvalidArgumentError(`cannot overwrite directory "${where}" with non-directory "${name}"`);
      if (o.noOverwriteDirNonDir && !wasDir && isDir) throw new InvalidArgumentError(`cannot overwrite non-directory "${where}" with directory "${name}"`);
      if (!(wasDir && isDir)) {
        if (fs.isMountPoint(where)) throw new InvalidArgumentError(`cannot replace ${where}: a volume or bind is mounted there`);
        fs.removeTree(parent, base);
        if (wasDir) forgetParents(x);
      }
    }
    const mode = (h.mode ?? 0o644) & 0o7777;
    const t = times(h);
    switch (h.type) {
      case 'directory':
        body.resume();
        if (!keptDir) mkdirSync(at, 0o700);
        owner(at, h, o);
        xattrs(at, h);
        dirs.push({ path: where, mode, atime: t.atime, mtime: t.mtime });
        return;
      case 'file':
      case 'contiguous-file': {
        fd ??= openSync(at, CREATE, 0o600);
        try {
          if (big) for await (const chunk of body) await writeAll(fd, chunk as Buffer);
          else {
            const parts: Buffer[] = [];
            for await (const chunk of body) parts.push(chunk as Buffer);
            writeFully(fd, parts.length === 1 ? parts[0]! : Buffer.concat(parts));
          }
          owner(at, h, o, fd);
          fchmodSync(fd, mode);
          xattrs(at, h);
          futimesSync(fd, t.atime, t.mtime);
        } finally {
          closeSync(fd);
        }
        return;
      }
      case 'symlink':
        body.resume();
        symlinkSync(h.linkname ?? '', at);
        forgetParents(x); // a later entry's parent path may now go through this link
        owner(at, h, o);
        lutimesSync(at, t.atime, t.mtime);
        return;
      case 'link': {
        body.resume();
        const target = relOf(o.rename ? o.rename(h.linkname ?? '') : h.linkname ?? '', h.linkname ?? '');
        if (target === '.') throw new InvalidArgumentError(`invalid hardlink "${h.name}": it points at the destination itself`);
        const tp = parentOf(x, target, h.linkname ?? '');
        try {
          const tn = fs.child(tp, posix.basename(target));
          if (!tn) throw new InvalidArgumentError(`invalid hardlink "${h.name}": its target "${h.linkname}" is not in the archive`);
          const dir = tn.st.isDirectory();
          fs.release(tn);
          if (dir) throw new InvalidArgumentError(`invalid hardlink "${h.name}": its target "${h.linkname}" is a directory`);
          linkSync(fdPath(tp.fd, posix.basename(target)), at);
        } finally {
          release(x, tp);
        }
        return;
      }
      case 'character-device':
      case 'block-device':
      case 'fifo': {
        body.resume();
        const kind = h.type === 'fifo' ? S_IFIFO : h.type === 'block-device' ? S_IFBLK : S_IFCHR;
        if (kind !== S_IFIFO && o.userns) return; // docker skips device nodes in a user namespace
        const old = process.umask(0);
        try {
          mknod(at, kind | mode, h.devmajor ?? 0, h.devminor ?? 0);
        } finally {
          process.umask(old);
        }
        owner(at, h, o);
        lutimesSync(at, t.atime, t.mtime);
        return;
      }
      default:
        body.resume(); // PAX globals, GNU volume headers...: nothing to make
    }
  } finally {
    release(x, parent);
  }
}

/** Release a parent unless it is the destination or cached for the next entries. */
function release(x: Extraction, n: Node): void {
  if (n !== x.dest && ![...x.parents.values()].includes(n)) x.fs.release(n);
}

const ASYNC_FROM = 1 << 20;
const CREATE = fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW;
const openAsync = promisify(open);
const writeAsync = promisify(write);
async function writeAll(fd: number, buf: Buffer): Promise<void> {
  for (let off = 0; off < buf.length; ) off += (await writeAsync(fd, buf, off, buf.length - off, null)).bytesWritten;
}

/** The directory an entry goes into, made if missing, resolved inside the scope from `dest`. */
function parentOf(x: Extraction, rel: string, shown: string): Node {
  const dir = posix.dirname(rel);
  if (dir === '.') return x.dest;
  const cached = x.parents.get(dir);
  if (cached) return cached;
  const n = resolveParent(x.fs, x.dest, dir, shown);
  x.parents.set(dir, n);
  return n;
}

function resolveParent(fs: ScopedFs, dest: Node, dir: string, shown: string): Node {
  const r = fs.resolve(dir, { followLast: true, missingOk: true, mkdirs: true, from: dest });
  if ('fd' in r) {
    if (r.st.isDirectory()) return r;
    fs.release(r);
    throw new InvalidArgumentError(`cannot extract "${shown}": ${r.path} is not a directory`);
  }
  if (!fs.writable(r.path)) {
    if (r.parent !== dest) fs.release(r.parent);
    throw new InvalidArgumentError('mounted volume is marked read-only');
  }
  try {
    mkdirSync(fdPath(r.parent.fd, r.name), 0o755);
  } catch (e) {
    if (errnoCode(e) !== 'EEXIST') throw e;
  }
  const made = fs.child(r.parent, r.name);
  if (r.parent !== dest) fs.release(r.parent);
  if (!made?.st.isDirectory()) {
    fs.release(made);
    throw new InvalidArgumentError(`cannot extract "${shown}": ${r.path} is not a directory`);
  }
  return made;
}

function owner(at: string, h: Header, o: ExtractOptions, fd?: number): void {
  if (!o.lchown && !o.chown) return;
  const uid = o.chown?.uid ?? paxNumber(h, 'uid') ?? h.uid ?? 0;
  const gid = o.chown?.gid ?? paxNumber(h, 'gid') ?? h.gid ?? 0;
  try {
    if (fd !== undefined) fchownSync(fd, uid, gid);
    else lchownSync(at, uid, gid);
  } catch (e) {
    const c = errnoCode(e);
    // an owner this user namespace has no id for stays the extracting user's, as docker's rootless daemon does
    if (o.userns && (c === 'EINVAL' || c === 'EPERM')) return;
    throw new EngineError(ErrorCode.SYSTEM, `cannot give ${h.name} the owner ${uid}:${gid}: ${c ?? (e as Error).message}`);
  }
}

function xattrs(at: string, h: Header): void {
  if (!h.pax || !nativeAvailable()) return;
  for (const [k, v] of Object.entries(h.pax)) {
    if (!k.startsWith('SCHILY.xattr.')) continue;
    try {
      lsetxattr(at, k.slice('SCHILY.xattr.'.length), Buffer.isBuffer(v) ? v : Buffer.from(v));
    } catch {
      // a filesystem or namespace that refuses it: docker skips it too
    }
  }
}
