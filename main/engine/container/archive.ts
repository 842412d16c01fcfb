import { createReadStream, createWriteStream, existsSync, rmSync, type Stats } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { liveTempName } from '../util/ids.js';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import type { Engine } from '../engine.js';
import type { ContainerRecord } from './types.js';
import { containerFiles, mountRootfs, unmountRootfs } from './bundle.js';
import { holdForCopy } from './rootfs-hold.js';
import { EngineError, ErrorCode, InvalidArgumentError, NotFoundError, isEngineError } from '../model/errors.js';
import { isRootless } from '../rootless/detect.js';
import { resolveUser } from '../runtime/user.js';
import { isMountPoint } from '../mount/mountinfo.js';
import { mountPointsOf } from '../volume/mount-points.js';
import { ScopedFs, type Node, type ScopeMount } from '../archive/scoped-fs.js';
import { packNode } from '../archive/tar-out.js';
import { checkArchive, extractInto } from '../archive/tar-in.js';
import { assertsDirectory, clean, preserveTrailingDotOrSeparator } from '../archive/copy-rules.js';

/**
 * docker's container archive operations (HEAD/GET/PUT /containers/{id}/archive), the one
 * implementation `slipway cp` and the Engine API share. The container's filesystem is its
 * rootfs plus its volumes and binds where the container sees them, walked by fd inside its
 * root (archive/scoped-fs.ts), so nothing the container does, before or during the copy,
 * can point us outside it (CVE-2018-15664), and no program from the container ever runs
 * (CVE-2019-14271: the tar is made and read here, in this process). A running container keeps
 * running; writes land in its writable layer or in the volume or bind mounted at the path.
 * A stopped one has its layers mounted for the copy and unmounted after.
 */

/** docker's ContainerPathStat (X-Docker-Container-Path-Stat): mode in Go's os.FileMode bits. */
export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

// Go's os.FileMode type bits
const GO_DIR = 2 ** 31;
const GO_SYMLINK = 2 ** 27;
const GO_DEVICE = 2 ** 26;
const GO_PIPE = 2 ** 25;
const GO_SOCKET = 2 ** 24;
const GO_SETUID = 2 ** 23;
const GO_SETGID = 2 ** 22;
const GO_CHARDEV = 2 ** 21;
const GO_STICKY = 2 ** 20;

export function goMode(st: Stats): number {
  let m = st.mode & 0o777;
  if (st.mode & 0o4000) m += GO_SETUID;
  if (st.mode & 0o2000) m += GO_SETGID;
  if (st.mode & 0o1000) m += GO_STICKY;
  if (st.isDirectory()) m += GO_DIR;
  else if (st.isSymbolicLink()) m += GO_SYMLINK;
  else if (st.isFIFO()) m += GO_PIPE;
  else if (st.isSocket()) m += GO_SOCKET;
  else if (st.isBlockDevice()) m += GO_DEVICE;
  else if (st.isCharacterDevice()) m += GO_DEVICE + GO_CHARDEV;
  return m;
}

const bit = (mode: number, n: number) => Math.floor(mode / 2 ** n) % 2 === 1;
/** Go FileMode tests: a directory, a symlink, a regular file (none of ModeType's bits). */
export const goIsDir = (mode: number): boolean => bit(mode, 31);
export const goIsSymlink = (mode: number): boolean => bit(mode, 27);
export const goIsRegular = (mode: number): boolean => ![31, 27, 26, 25, 24, 21, 19].some((n) => bit(mode, n));

/** The mounts the container sees, as a scope shows them (tmpfs mounts live only in the container). */
function scopeMounts(engine: Engine, rec: ContainerRecord, running: boolean): ScopeMount[] {
  const out: ScopeMount[] = [];
  for (const m of mountPointsOf(rec)) {
    if (m.Type === 'tmpfs') continue;
    out.push({ destination: m.Destination, source: m.subpath ? posix.join(m.Source, m.subpath) : m.Source, rw: m.RW });
  }
  if (running) {
    // the generated /etc files, bind-mounted over the image's while it runs
    const dir = containerFiles(engine.store.paths.root, rec.id).dir;
    for (const [dest, file] of [['/etc/hostname', 'hostname'], ['/etc/hosts', 'hosts'], ['/etc/resolv.conf', 'resolv.conf']] as const) {
      if (existsSync(join(dir, file)) && !out.some((m) => m.destination === dest)) out.push({ destination: dest, source: join(dir, file), rw: true });
    }
  }
  return out;
}

/**
 * Run `fn` on the container's filesystem. A running (or paused) container's is there already;
 * a stopped one's is mounted for the call, unless a start comes in, in which case we wait for
 * it to run and use that. `keep` lets a streaming caller hold the view until it is done.
 */
async function withContainerFs<T>(engine: Engine, ref: string, fn: (fs: ScopedFs, rec: ContainerRecord) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const rec = await engine.containers.get(ref);
    const f = containerFiles(engine.store.paths.root, rec.id);
    const running = rec.state === 'running' || rec.state === 'paused';
    if (running) {
      if (rec.spec.driver !== 'copy' && !isMountPoint(f.rootfs)) throw new EngineError(ErrorCode.SYSTEM, `the filesystem of container ${rec.name} is not mounted: restart the container`);
      const fs = ScopedFs.open(f.rootfs, scopeMounts(engine, rec, true));
      try {
        return await fn(fs, rec);
      } finally {
        fs.close();
      }
    }
    const hold = holdForCopy(f.dir);
    if (!hold) {
      if (attempt > 3000) throw new EngineError(ErrorCode.CONFLICT, `container ${rec.name} is starting: try the copy again`);
      await new Promise((r) => setTimeout(r, 20));
      continue;
    }
    try {
      await mountRootfs(engine, rec);
      const fs = ScopedFs.open(f.rootfs, scopeMounts(engine, rec, false));
      try {
        return await fn(fs, rec);
      } finally {
        fs.close();
        const now = engine.containers.find(rec.id);
        if (!hold.others() && now && now.state !== 'running' && now.state !== 'paused') await unmountRootfs(engine, rec);
      }
    } finally {
      hold.release();
    }
  }
}

function notFound(path: string, ref: string): NotFoundError {
  return new NotFoundError(`Could not find the file ${path} in container ${ref}`);
}

function checkPath(path: string): void {
  if (typeof path !== 'string' || !path) throw new InvalidArgumentError('path is required: name a path in the container');
}

/** docker's absPath: the path made absolute and clean, its trailing "/" or "/." kept. */
const absPathOf = (path: string) => preserveTrailingDotOrSeparator(clean(posix.join('/', path)), path);

/** Go's filepath.Base: "/" for the root, "." for "x/.". */
function goBase(p: string): string {
  const t = p.replace(/\/+$/, '');
  return t === '' ? '/' : posix.basename(t);
}

/** The entry a path names, docker's Lstat: the last symlink followed only when the path says "/" or "/." after it. */
function lookup(fs: ScopedFs, abs: string, path: string, ref: string): Node {
  let n;
  try {
    n = fs.resolve(abs, { followLast: assertsDirectory(abs) });
  } catch (e) {
    if (isEngineError(e, ErrorCode.NOT_FOUND)) throw notFound(path, ref);
    throw e;
  }
  if (!('fd' in n)) throw notFound(path, ref);
  if (assertsDirectory(abs) && !n.st.isDirectory()) {
    fs.release(n);
    throw new InvalidArgumentError(`lstat ${abs}: not a directory`);
  }
  return n;
}

function statOf(fs: ScopedFs, n: Node, abs: string): PathStat {
  let linkTarget = '';
  if (n.st.isSymbolicLink()) {
    // docker's FollowSymlinkInScope: the link's target resolved all the way, inside the container
    try {
      const t = fs.resolve(abs, { followLast: true, missingOk: true });
      linkTarget = t.path;
      fs.release(t);
    } catch {
      linkTarget = posix.join(posix.dirname(n.path), fs.readlink(n));
    }
  }
  return { name: goBase(abs), size: n.st.size, mode: goMode(n.st), mtime: n.st.mtime.toISOString(), linkTarget };
}

/** HEAD /containers/{id}/archive: what is at `path` in the container. */
export async function statContainerPath(engine: Engine, ref: string, path: string): Promise<PathStat> {
  checkPath(path);
  const abs = absPathOf(path);
  return withContainerFs(engine, ref, async (fs) => {
    const n = lookup(fs, abs, path, ref);
    try {
      return statOf(fs, n, abs);
    } finally {
      fs.release(n);
    }
  });
}

/**
 * GET /containers/{id}/archive (docker cp out): a tar of `path`, its entries named under the
 * path's base name ("." for "dir/.", "/..." for the root), streamed from the container's
 * filesystem until the stream ends or is dropped (`done` settles then).
 */
export async function getArchive(engine: Engine, ref: string, path: string): Promise<{ stat: PathStat; tar: Readable; done: Promise<void> }> {
  checkPath(path);
  const abs = absPathOf(path);
  let ready!: (v: { stat: PathStat; tar: Readable }) => void;
  let fail!: (e: unknown) => void;
  const got = new Promise<{ stat: PathStat; tar: Readable }>((res, rej) => ((ready = res), (fail = rej)));
  const done = withContainerFs(engine, ref, async (fs) => {
    const n = lookup(fs, abs, path, ref);
    try {
      const stat = statOf(fs, n, abs);
      const base = goBase(abs);
      const tar = packNode(fs, n, base === '/' ? '' : base);
      const finished = new Promise<void>((r) => {
        tar.once('close', r);
        tar.once('end', r);
        tar.once('error', r);
      });
      ready({ stat, tar });
      await finished;
    } finally {
      fs.release(n);
    }
  });
  done.catch(fail);
  const r = await got;
  return { ...r, done: done.then(() => undefined, () => undefined) };
}

/**
 * PUT /containers/{id}/archive (docker cp in): extract a tar (plain or gzip) into the
 * directory at `path` (symlinks followed inside the container, the last one too). With
 * `noOverwriteDirNonDir` a directory is never replaced by a file or back; with `copyUIDGID`
 * entries get the container's user (docker's cp -a); otherwise the archive's owners.
 */
export async function putArchive(engine: Engine, ref: string, path: string, src: Readable, opts: { noOverwriteDirNonDir?: boolean; copyUIDGID?: boolean; trusted?: boolean } = {}): Promise<void> {
  checkPath(path);
  if (opts.trusted) return extractPut(engine, ref, path, () => src, opts);
  // An archive from outside (the API, stdin) is spooled and read through whole first: a truncated
  // or hostile one is refused before anything is written.
  const spool = join(engine.store.paths.tmp, liveTempName('archive'));
  try {
    await pipeline(src, createWriteStream(spool, { mode: 0o600 }));
    await checkArchive(createReadStream(spool));
    // opened only once the destination is resolved: a stream opened before a refusal would
    // try to open the spool after the finally below removed it
    await extractPut(engine, ref, path, () => createReadStream(spool), opts);
  } finally {
    rmSync(spool, { force: true });
  }
}

async function extractPut(engine: Engine, ref: string, path: string, open: () => Readable, opts: { noOverwriteDirNonDir?: boolean; copyUIDGID?: boolean }): Promise<void> {
  await withContainerFs(engine, ref, async (fs, rec) => {
    let n;
    try {
      n = fs.resolve(posix.join('/', path), { followLast: true });
    } catch (e) {
      if (isEngineError(e, ErrorCode.NOT_FOUND)) throw notFound(path, ref);
      throw e;
    }
    if (!('fd' in n)) throw notFound(path, ref);
    try {
      if (!n.st.isDirectory()) throw new InvalidArgumentError('extraction point is not a directory');
      if (!fs.writable(n.path)) throw new InvalidArgumentError('mounted volume is marked read-only');
      let chown: { uid: number; gid: number } | undefined;
      if (opts.copyUIDGID && rec.spec.config.User) {
        const u = resolveUser(containerFiles(engine.store.paths.root, rec.id).rootfs, rec.spec.config.User);
        chown = { uid: u.uid, gid: u.gid };
      }
      await extractInto(fs, n, open(), { noOverwriteDirNonDir: opts.noOverwriteDirNonDir, lchown: true, chown, userns: isRootless() });
    } finally {
      fs.release(n);
    }
  });
}
