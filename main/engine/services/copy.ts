import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Engine } from '../engine.js';
import { InvalidArgumentError, isEngineError, ErrorCode } from '../model/errors.js';
import { getArchive, goIsDir, goIsRegular, goIsSymlink, putArchive, statContainerPath, type PathStat } from '../container/archive.js';
import { getRebaseName, nameRebaser, prepareArchiveCopy, splitPathDirEntry, type CopyInfo } from '../archive/copy-rules.js';
import { copyInfoDestinationPath, copyInfoSourcePath, extractToHost, localPath, packHostPath, validateOutputPath } from '../archive/host-copy.js';

/**
 * `slipway cp`: docker's CLI copy (cli/command/container/cp.go) over the engine's archive
 * operations, the same ones the Engine API serves, so a copy behaves the same through
 * either door. Returns the bytes of file content moved (for docker's "Successfully copied").
 */

const compose = (...fns: (((n: string) => string) | undefined)[]) => {
  const f = fns.filter((x): x is (n: string) => string => !!x);
  return f.length ? (n: string) => f.reduce((acc, g) => g(acc), n) : undefined;
};

/** docker cp CONTAINER:SRC DEST|- */
export async function copyFromContainer(engine: Engine, ctr: string, srcPath: string, dst: string, o: { followLink?: boolean; stdout?: Writable } = {}): Promise<number> {
  const dstPath = dst === '-' ? dst : localPath(dst);
  if (dstPath !== '-') validateOutputPath(dstPath);
  let src = srcPath;
  let rebaseName: string | undefined;
  if (o.followLink) {
    try {
      const st = await statContainerPath(engine, ctr, src);
      if (goIsSymlink(st.mode)) ({ path: src, rebaseName } = getRebaseName(src, st.linkTarget.startsWith('/') ? st.linkTarget : `${splitPathDirEntry(src).dir}/${st.linkTarget}`));
    } catch (e) {
      if (!isEngineError(e, ErrorCode.NOT_FOUND)) throw e;
    }
  }
  const { stat, tar, done } = await getArchive(engine, ctr, src);
  let bytes = 0;
  tar.on('data', (c: Buffer) => (bytes += c.length));
  try {
    if (dstPath === '-') {
      await pipeline(tar, o.stdout ?? process.stdout, { end: false });
      return bytes;
    }
    const srcInfo: CopyInfo = { path: src, exists: true, isDir: goIsDir(stat.mode), ...(rebaseName ? { rebaseName } : {}) };
    const first = rebaseName ? nameRebaser(splitPathDirEntry(src).base, rebaseName) : undefined;
    const dstInfo = copyInfoDestinationPath(dstPath);
    const plan = prepareArchiveCopy(srcInfo, dstInfo);
    if ('error' in plan) throw new InvalidArgumentError(plan.error);
    const second = plan.rebase ? nameRebaser(plan.rebase.from, plan.rebase.to) : undefined;
    await extractToHost(tar, plan.dstDir, compose(first, second));
    return goIsDir(stat.mode) ? bytes : stat.size;
  } finally {
    tar.destroy();
    await done;
  }
}

/** docker cp SRC|- CONTAINER:DEST */
export async function copyToContainer(engine: Engine, ctr: string, src: string, dstPath: string, o: { followLink?: boolean; copyUIDGID?: boolean; stdin?: Readable } = {}): Promise<number> {
  const dstInfo: CopyInfo = { path: dstPath, exists: false, isDir: false };
  // docker asks what the destination is and ignores a failure: a missing destination may be
  // created, and the extraction says why when it cannot be
  let st: PathStat | undefined;
  try {
    st = await statContainerPath(engine, ctr, dstPath);
    if (goIsSymlink(st.mode)) {
      dstInfo.path = st.linkTarget.startsWith('/') ? st.linkTarget : `${splitPathDirEntry(dstPath).dir}/${st.linkTarget}`;
      st = await statContainerPath(engine, ctr, dstInfo.path).catch(() => undefined);
    }
  } catch {
    st = undefined;
  }
  if (st) {
    if (!goIsDir(st.mode) && !goIsRegular(st.mode)) throw new InvalidArgumentError(`destination "${ctr}:${dstPath}" must be a directory or a regular file`);
    dstInfo.exists = true;
    dstInfo.isDir = goIsDir(st.mode);
  }
  if (src === '-') {
    if (!dstInfo.isDir) throw new InvalidArgumentError(`destination "${ctr}:${dstPath}" must be a directory`);
    let bytes = 0;
    const stdin = o.stdin ?? process.stdin;
    stdin.on('data', (c: Buffer) => (bytes += c.length));
    await putArchive(engine, ctr, dstInfo.path, stdin, { noOverwriteDirNonDir: true, copyUIDGID: o.copyUIDGID });
    return bytes;
  }
  const srcInfo = copyInfoSourcePath(localPath(src), !!o.followLink);
  const plan = prepareArchiveCopy(srcInfo, dstInfo);
  if ('error' in plan) throw new InvalidArgumentError(plan.error);
  const base = splitPathDirEntry(srcInfo.path).base;
  const named = srcInfo.rebaseName ?? base;
  const rename = plan.rebase ? nameRebaser(plan.rebase.from, plan.rebase.to) : undefined;
  const top = rename ? rename(named) : named;
  const { tar, close } = packHostPath(srcInfo, top === '/' ? '' : top);
  let bytes = 0;
  tar.on('data', (c: Buffer) => (bytes += c.length));
  try {
    // our own tar of a local path: no need to spool and check it first
    await putArchive(engine, ctr, plan.dstDir, tar, { noOverwriteDirNonDir: true, copyUIDGID: o.copyUIDGID, trusted: true });
  } finally {
    tar.destroy();
    close();
  }
  return bytes;
}
