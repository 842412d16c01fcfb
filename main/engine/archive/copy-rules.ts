import { posix } from 'node:path';

/**
 * docker cp's path rules (moby/go-archive copy.go), pure: what a trailing "/" or "/." means,
 * how an archive's top entry is renamed so the copy lands where `cp -a` would put it, and
 * which errors docker gives when the kinds do not fit.
 */

/** docker's CopyInfo: one side of a copy. */
export interface CopyInfo {
  path: string;
  exists: boolean;
  isDir: boolean;
  /** the name the archive's top entry must take (a followed symlink keeps the name asked for) */
  rebaseName?: string;
}

export const ERR_NOT_DIRECTORY = 'not a directory';
export const ERR_DIR_NOT_EXISTS = 'no such directory';
export const ERR_CANNOT_COPY_DIR = 'cannot copy directory';

const hasTrailingSeparator = (p: string) => p.length > 0 && p.endsWith('/');
const specifiesCurrentDir = (p: string) => posix.basename(p) === '.';

/** A path that ends in "/" or "/." says it is a directory. */
export function assertsDirectory(p: string): boolean {
  return hasTrailingSeparator(p) || specifiesCurrentDir(p);
}

/** Go's filepath.Clean ("" -> "."). */
export function clean(p: string): string {
  if (p === '') return '.';
  const n = posix.normalize(p);
  return n.length > 1 ? n.replace(/\/+$/, '') : n;
}

/** The cleaned path with the original's trailing "/." or "/" put back (PreserveTrailingDotOrSeparator). */
export function preserveTrailingDotOrSeparator(cleaned: string, original: string): string {
  let out = cleaned;
  if (!specifiesCurrentDir(out) && specifiesCurrentDir(original)) {
    if (!hasTrailingSeparator(out)) out += '/';
    out += '.';
  }
  if (!hasTrailingSeparator(out) && hasTrailingSeparator(original)) out += '/';
  return out;
}

/** dir and base of a path, keeping a trailing "." (SplitPathDirEntry). */
export function splitPathDirEntry(p: string): { dir: string; base: string } {
  let c = clean(p);
  if (specifiesCurrentDir(p)) c += '/.';
  return { dir: posix.dirname(c), base: posix.basename(c) || '/' };
}

/** docker's GetRebaseName: the resolved path with the asked path's trailing marks, and the name to rebase to. */
export function getRebaseName(path: string, resolved: string): { path: string; rebaseName?: string } {
  let r = resolved;
  if (specifiesCurrentDir(path) && !specifiesCurrentDir(r)) r += '/.';
  if (hasTrailingSeparator(path) && !hasTrailingSeparator(r)) r += '/';
  const base = (p: string) => posix.basename(p) || '/';
  return base(path) !== base(r) ? { path: r, rebaseName: base(path) } : { path: r };
}

/**
 * Where to extract a copy and how to rename the archive's top entry (PrepareArchiveCopy):
 * into an existing directory as it is; onto an existing file, or to a new name, renamed to
 * the destination's base name; a directory onto a file, or a file to "dir/" that does not
 * exist, is an error with docker's words.
 */
export function prepareArchiveCopy(src: CopyInfo, dst: CopyInfo): { dstDir: string; rebase?: { from: string; to: string } } | { error: string } {
  const { dir: dstDir, base: dstBase } = splitPathDirEntry(dst.path);
  const srcBase = src.rebaseName || splitPathDirEntry(src.path).base;
  if (dst.exists && dst.isDir) return { dstDir: dst.path };
  if (dst.exists && src.isDir) return { error: ERR_CANNOT_COPY_DIR };
  if (dst.exists) return { dstDir, rebase: { from: srcBase, to: dstBase } };
  if (src.isDir) return { dstDir, rebase: { from: srcBase, to: dstBase } };
  if (assertsDirectory(dst.path)) return { error: ERR_DIR_NOT_EXISTS };
  return { dstDir, rebase: { from: srcBase, to: dstBase } };
}

/**
 * A function renaming archive entries whose first component is `oldBase` (newNameRebaser):
 * "/" as the old base strips leading slashes and puts every name under the new base.
 */
export function nameRebaser(oldBase: string, newBase: string): (name: string) => string {
  const o = oldBase.replace(/\/+$/, '');
  const n = newBase.replace(/\/+$/, '');
  if (o === '') return (name) => (n === '' ? name.replace(/^\/+/, '') : `${n}/${name.replace(/^\/+/, '')}`);
  return (name) => {
    if (!name.startsWith(o)) return name;
    const rest = name.slice(o.length);
    if (rest !== '' && !rest.startsWith('/')) return name;
    return n + rest;
  };
}

/**
 * docker's split of a cp argument into CONTAINER and PATH: an absolute path, or one that
 * starts with "." before its ":", is local (so `./file:name` is a file).
 */
export function splitCpArg(arg: string): { container?: string; path: string } {
  if (arg.startsWith('/')) return { path: arg };
  const i = arg.indexOf(':');
  if (i < 0 || arg.slice(0, i).startsWith('.')) return { path: arg };
  return { container: arg.slice(0, i), path: arg.slice(i + 1) };
}
