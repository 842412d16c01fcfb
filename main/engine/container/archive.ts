import { createReadStream, createWriteStream, lstatSync, readlinkSync, rmSync, type Stats } from 'node:fs';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { cleanEntryPath } from '../layer/entry-path.js';
import { newId } from '../util/ids.js';
import type { Engine } from '../engine.js';
import type { ContainerRecord } from './types.js';
import { containerFiles, mountRootfs, unmountRootfs } from './bundle.js';
import { applyLayer } from '../layer/apply.js';
import { packPath } from '../layer/diff.js';
import { runc } from '../runtime/runc.js';
import { isRootless } from '../rootless/detect.js';
import { EngineError, ErrorCode, InvalidArgumentError, NotFoundError, errorMessage } from '../model/errors.js';

/** docker's container path stat (X-Docker-Container-Path-Stat): mode in Go's os.FileMode bits. */
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

function goMode(st: Stats): number {
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

/**
 * `path` (as the container sees it) -> the host path under `root`, following symlinks as the
 * container would: absolute targets start again at the container's root and `..` never climbs
 * above it, so no link the container made can point the caller outside its filesystem. The
 * last component is followed only with `followLast` (docker cp copies a link as a link).
 */
export function resolveInRoot(root: string, path: string, followLast: boolean): string {
  let todo = path.split('/').filter((c) => c && c !== '.');
  const done: string[] = [];
  let links = 0;
  while (todo.length) {
    const c = todo.shift()!;
    if (c === '..') {
      done.pop();
      continue;
    }
    const host = join(root, ...done, c);
    let st: Stats | undefined;
    try {
      st = lstatSync(host);
    } catch {
      st = undefined; // a missing component: the caller reports it
    }
    if (st?.isSymbolicLink() && (todo.length > 0 || followLast)) {
      if (++links > 40) throw new InvalidArgumentError(`too many levels of symbolic links in ${path}`);
      const target = readlinkSync(host);
      if (target.startsWith('/')) done.length = 0;
      todo = [...target.split('/').filter((x) => x && x !== '.'), ...todo];
      continue;
    }
    done.push(c);
  }
  return join(root, ...done);
}

/**
 * Run `fn` with the container's filesystem reachable under its rootfs dir, and the container
 * frozen while it runs (docker's answer to CVE-2018-15664: a running container cannot swap a
 * directory for a symlink between our check and our use). A stopped container's layers are
 * mounted for the call and unmounted after it.
 */
async function withRootfs<T>(engine: Engine, rec: ContainerRecord, fn: (rootfs: string) => Promise<T>): Promise<T> {
  const f = containerFiles(engine.store.paths.root, rec.id);
  const state = engine.store.paths.runtimeState;
  if (rec.state === 'running') {
    const frozen = (await runc(state, ['pause', rec.id])).code === 0;
    if (!frozen && !isRootless()) throw new EngineError(ErrorCode.SYSTEM, `cannot freeze container ${rec.name} to copy files safely`);
    try {
      return await fn(f.rootfs);
    } finally {
      if (frozen) await runc(state, ['resume', rec.id]);
    }
  }
  if (rec.state === 'paused') return fn(f.rootfs);
  await mountRootfs(engine, rec);
  try {
    return await fn(f.rootfs);
  } finally {
    await unmountRootfs(engine, rec);
  }
}

function statOf(host: string, name: string, containerPath: string, ctr: string): PathStat {
  let st: Stats;
  try {
    st = lstatSync(host);
  } catch {
    throw new NotFoundError(`Could not find the file ${containerPath} in container ${ctr}`);
  }
  return {
    name,
    size: st.size,
    mode: goMode(st),
    mtime: st.mtime.toISOString(),
    linkTarget: st.isSymbolicLink() ? readlinkSync(host) : '',
  };
}

function checkPath(path: string): void {
  if (!path) throw new InvalidArgumentError('path is required: name a path in the container');
  if (!path.startsWith('/')) throw new InvalidArgumentError(`path ${path} must be absolute`);
}

/** HEAD /containers/{id}/archive: what is at `path` in the container. */
export async function statContainerPath(engine: Engine, ref: string, path: string): Promise<PathStat> {
  checkPath(path);
  const rec = await engine.containers.get(ref);
  return withRootfs(engine, rec, async (rootfs) => statOf(resolveInRoot(rootfs, path, path.endsWith('/.')), basename(path.replace(/\/\.?$/, '')) || '/', path, ref));
}

/**
 * GET /containers/{id}/archive (docker cp out): a tar of `path`, its entries named under the
 * path's base name, streamed with the container frozen until the stream ends or is dropped
 * (`done` settles then).
 */
export async function getArchive(engine: Engine, ref: string, path: string): Promise<{ stat: PathStat; tar: Readable; done: Promise<void> }> {
  checkPath(path);
  const rec = await engine.containers.get(ref);
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let ready!: (v: { stat: PathStat; tar: Readable }) => void;
  let fail!: (e: unknown) => void;
  const got = new Promise<{ stat: PathStat; tar: Readable }>((res, rej) => ((ready = res), (fail = rej)));
  const done = withRootfs(engine, rec, async (rootfs) => {
    try {
      const host = resolveInRoot(rootfs, path, path.endsWith('/.'));
      const name = path.endsWith('/.') ? '.' : basename(path) || '.';
      const stat = statOf(host, basename(path.replace(/\/\.?$/, '')) || '/', path, ref);
      const tar = packPath(host, name);
      tar.once('close', release);
      tar.once('end', release);
      tar.once('error', release);
      ready({ stat, tar });
    } catch (e) {
      fail(e);
      release();
    }
    await released;
  });
  done.catch(fail);
  const r = await got;
  return { ...r, done: done.then(() => undefined) };
}

/**
 * Read a spooled tar through once: it must be a whole tar (every entry's data there, an end)
 * whose names and hard links all stay inside it. Checked before anything is written, so a
 * broken or hostile archive leaves the container as it was.
 */
async function checkArchive(file: string): Promise<void> {
  const ex = tar.extract();
  const bad = (name: string, why: string) => new InvalidArgumentError(`refusing to extract "${name}": ${why}; the archive is unsafe`);
  ex.on('entry', (h, body, next) => {
    // Destroying the extract errors the current entry's stream too: reported once, below.
    body.on('error', () => {});
    if (cleanEntryPath(h.name) === null) return ex.destroy(bad(h.name, h.name.startsWith('/') ? 'the path is absolute' : 'the path leads outside the destination with ".."'));
    if (h.type === 'link' && (cleanEntryPath(h.linkname ?? '') ?? '.') === '.') return ex.destroy(bad(h.name, `it is a hard link to "${h.linkname}", outside the archive`));
    body.on('end', () => next());
    body.resume();
  });
  try {
    await pipeline(createReadStream(file), ex);
  } catch (e) {
    if (e instanceof EngineError) throw e;
    throw new InvalidArgumentError(`the archive is not a valid tar: ${errorMessage(e)}`);
  }
}

/**
 * PUT /containers/{id}/archive (docker cp in): extract a tar into the directory at `path`.
 * The body is spooled to the store's tmp/ and checked whole first (checkArchive); then
 * extracted with a layer's checks on every entry (no link followed on the way), the container
 * frozen meanwhile. An invalid tar is a 400 and writes nothing.
 */
export async function putArchive(engine: Engine, ref: string, path: string, src: Readable, opts: { noOverwriteDirNonDir?: boolean } = {}): Promise<void> {
  checkPath(path);
  const rec = await engine.containers.get(ref);
  const spool = join(engine.store.paths.tmp, `archive-${newId().slice(0, 16)}.tar`);
  try {
    await pipeline(src, createWriteStream(spool, { mode: 0o600 }));
    await checkArchive(spool);
    await extractInto(engine, rec, ref, path, spool, opts);
  } finally {
    rmSync(spool, { force: true });
  }
}

async function extractInto(engine: Engine, rec: ContainerRecord, ref: string, path: string, spool: string, opts: { noOverwriteDirNonDir?: boolean }): Promise<void> {
  await withRootfs(engine, rec, async (rootfs) => {
    const host = resolveInRoot(rootfs, path, true);
    let st: Stats;
    try {
      st = lstatSync(host);
    } catch {
      throw new NotFoundError(`Could not find the file ${path} in container ${ref}`);
    }
    if (!st.isDirectory()) throw new InvalidArgumentError(`extraction point is not a directory: ${path}`);
    try {
      await applyLayer(createReadStream(spool), host, { mode: 'flatten', rootless: isRootless(), keepKinds: opts.noOverwriteDirNonDir });
    } catch (e) {
      if (e instanceof EngineError) throw e;
      throw new InvalidArgumentError(`the archive for ${path} is not a valid tar: ${errorMessage(e)}`);
    }
  });
}
