import { lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { posix, resolve as resolvePath } from 'node:path';
import type { Readable } from 'node:stream';
import { InvalidArgumentError, NotFoundError } from '../model/errors.js';
import { errnoCode } from '../util/native.js';
import { ERR_NOT_DIRECTORY, getRebaseName, preserveTrailingDotOrSeparator, splitPathDirEntry, type CopyInfo } from './copy-rules.js';
import { ScopedFs } from './scoped-fs.js';
import { packNode } from './tar-out.js';
import { extractInto } from './tar-in.js';

/**
 * The host side of docker cp (what docker's CLI does on the local filesystem, go-archive
 * copy.go): find what a local source or destination path is, tar a local path, and extract
 * a container's tar into a local directory without following anything it contains.
 */

function hostError(op: string, path: string, e: unknown): Error {
  const c = errnoCode(e);
  if (c === 'ENOENT') return new NotFoundError(`${op} ${path}: no such file or directory`);
  if (c === 'ENOTDIR') return new InvalidArgumentError(`${op} ${path}: not a directory`);
  return new InvalidArgumentError(`${op} ${path}: ${c ?? (e as Error).message}`);
}

/** An absolute local path with its trailing "/" or "/." kept (docker's resolveLocalPath). */
export function localPath(p: string): string {
  return preserveTrailingDotOrSeparator(resolvePath(p), p);
}

/**
 * docker's CopyInfoSourcePath: symlinks before the last "/" are followed; the last one too
 * with `followLink` (-L), and then the archive keeps the name that was asked for.
 */
export function copyInfoSourcePath(path: string, followLink: boolean): CopyInfo {
  let resolved: string;
  let rebaseName: string | undefined;
  try {
    if (followLink) {
      ({ path: resolved, rebaseName } = getRebaseName(path, realpathSync(path)));
    } else {
      const i = path.lastIndexOf('/');
      const dir = path.slice(0, i + 1) || '.';
      const base = path.slice(i + 1);
      const rdir = realpathSync(dir);
      resolved = `${rdir === '/' ? '' : rdir}/${base}`;
      if (path.endsWith('/') && posix.basename(path) !== posix.basename(resolved)) rebaseName = posix.basename(path);
    }
  } catch (e) {
    throw hostError('lstat', path, e);
  }
  let st;
  try {
    st = lstatSync(resolved);
  } catch (e) {
    throw hostError('lstat', resolved, e);
  }
  return { path: resolved, exists: true, isDir: st.isDirectory(), ...(rebaseName ? { rebaseName } : {}) };
}

/**
 * docker's CopyInfoDestinationPath: a destination symlink is followed (a broken one names
 * what to create); a missing destination is fine when its parent is a directory.
 */
export function copyInfoDestinationPath(path: string): CopyInfo {
  let p = path;
  for (let n = 0; ; n++) {
    let st;
    try {
      st = lstatSync(p);
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw hostError('lstat', p, e);
      const { dir } = splitPathDirEntry(p);
      let ps;
      try {
        ps = statSync(dir);
      } catch (e2) {
        throw hostError('stat', dir, e2);
      }
      if (!ps.isDirectory()) throw new InvalidArgumentError(ERR_NOT_DIRECTORY);
      return { path: p, exists: false, isDir: false };
    }
    if (!st.isSymbolicLink()) return { path: p, exists: true, isDir: st.isDirectory() };
    if (n >= 10) throw new InvalidArgumentError(`too many symlinks in ${path}`);
    const target = readlinkSync(p);
    p = target.startsWith('/') ? target : posix.join(splitPathDirEntry(p).dir, target);
  }
}

/** docker's ValidateOutputPath for `cp CONTAINER:SRC DEST`. */
export function validateOutputPath(path: string): void {
  const dir = posix.dirname(posix.normalize(path));
  try {
    statSync(dir);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') throw new InvalidArgumentError(`invalid output path: directory "${dir}" does not exist`);
  }
  let st;
  try {
    st = statSync(path);
  } catch {
    return;
  }
  if (!st.isDirectory() && !st.isFile()) throw new InvalidArgumentError(`invalid output path: "${path}" must be a directory or a regular file`);
}

/** A local file or tree as docker's CLI tars it, its top entry named `top`. */
export function packHostPath(info: CopyInfo, top: string): { tar: Readable; close: () => void } {
  const fs = ScopedFs.open('/');
  try {
    const n = fs.resolve(info.path, { followLast: info.path.endsWith('/') || info.path.endsWith('/.') });
    if (!('fd' in n)) throw new NotFoundError(`lstat ${info.path}: no such file or directory`);
    const tar = packNode(fs, n, top);
    return { tar, close: () => fs.close() };
  } catch (e) {
    fs.close();
    throw e;
  }
}

/**
 * Extract a container's tar into the local directory `dir` (docker's client Untar: owners are
 * this user's, a directory is never replaced by a file or back). The scope is `dir` itself, so
 * a symlink the archive makes can never lead a later entry out of it.
 */
export async function extractToHost(content: Readable, dir: string, rename?: (name: string) => string): Promise<void> {
  const fs = ScopedFs.open(dir);
  try {
    await extractInto(fs, fs.root, content, { noOverwriteDirNonDir: true, lchown: false, rename });
  } finally {
    fs.close();
  }
}
