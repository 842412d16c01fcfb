import { closeSync, constants as fsc, fstatSync, mkdirSync, openSync, readdirSync, readlinkSync, rmdirSync, unlinkSync, type Stats } from 'node:fs';
import { posix } from 'node:path';
import { EngineError, ErrorCode, NotFoundError } from '../model/errors.js';
import { errnoCode } from '../util/native.js';

/** O_PATH (Linux): an fd that names an inode without opening it for I/O. Node has no constant for it. */
const O_PATH = 0o10000000;
const MAX_LINKS = 40;

/** An open directory entry: the fd pins the very inode, whatever is renamed or swapped around it. */
export interface Node {
  fd: number;
  st: Stats;
  /** the canonical path in the scope ("/etc/passwd"): every symlink before it resolved */
  path: string;
  /** the directory it is in and its name there ("" for the root), for the calls that take a name */
  parent?: Node;
  name: string;
  /** false for the root and mount sources, which live as long as the scope */
  owned: boolean;
  /** resolve() keeps the parent open for the node's name-based calls; release() closes both */
  holdsParent?: boolean;
}

/** A path ending at a name that does not exist (yet) in a directory that does. */
export interface Missing {
  parent: Node;
  name: string;
  path: string;
}

export interface ScopeMount {
  /** where it shows in the scope ("/data") */
  destination: string;
  /** the host directory (or file) shown there */
  source: string;
  rw: boolean;
}

/** `/proc/self/fd/N[/name]`: the kernel resolves the fd itself, so nothing on the way can be swapped. */
export function fdPath(fd: number, name?: string): string {
  return name === undefined || name === '' ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`;
}

/**
 * A directory tree seen as a container sees it, with no way out: paths are walked one
 * component at a time from open directory fds (openat-style, through /proc/self/fd), a
 * component is never followed by the kernel (O_NOFOLLOW), and symlinks are read and resolved
 * here against the scope's own root, so `..` and absolute targets stay inside it, as
 * securejoin and openat2(RESOLVE_IN_ROOT) do. A link swapped in while we walk (CVE-2018-15664)
 * cannot move us: every step holds the inode it checked. Mounts (a container's volumes and
 * binds) are other host directories shown at a path, as the container's mount table shows them.
 */
export class ScopedFs {
  readonly root: Node;
  private readonly mounts = new Map<string, { node: Node; rw: boolean }>();
  private readonly open = new Set<number>();

  private constructor(rootDir: string, private readonly rootRw: boolean) {
    const fd = openSync(rootDir, O_PATH | fsc.O_DIRECTORY);
    this.open.add(fd);
    this.root = { fd, st: fstatSync(fd), path: '/', name: '', owned: false };
  }

  /**
   * The scope of `rootDir` (a trusted host path) with `mounts` placed at their destinations;
   * a destination is resolved inside the scope first, as runc resolves it when mounting.
   */
  static open(rootDir: string, mounts: ScopeMount[] = [], rootRw = true): ScopedFs {
    const s = new ScopedFs(rootDir, rootRw);
    try {
      const depth = (m: ScopeMount) => posix.normalize(m.destination).split('/').length;
      for (const m of [...mounts].sort((a, b) => depth(a) - depth(b))) {
        let fd: number;
        try {
          fd = openSync(m.source, O_PATH);
        } catch {
          continue; // a bind source that is gone: the container does not see it either
        }
        s.open.add(fd);
        // where it is mounted: its destination with the container's symlinks resolved (a
        // destination not made yet, in a stopped container, stays as it is written)
        let path = posix.normalize(`/${m.destination}`);
        try {
          const at = s.resolve(m.destination, { followLast: true, missingOk: true });
          path = at.path;
          s.release(at);
        } catch {
          // parents missing too
        }
        s.mounts.set(path, { node: { fd, st: fstatSync(fd), path, name: posix.basename(path), owned: false }, rw: m.rw });
      }
    } catch (e) {
      s.close();
      throw e;
    }
    return s;
  }

  close(): void {
    for (const fd of this.open) {
      try {
        closeSync(fd);
      } catch {
        // closed already
      }
    }
    this.open.clear();
  }

  /** Close a node's fd (not the root's or a mount's). */
  release(n: Node | Missing | undefined): void {
    if (!n || !('fd' in n)) return;
    if (n.holdsParent) {
      n.holdsParent = false;
      this.release(n.parent);
    }
    if (n.owned && this.open.delete(n.fd)) closeSync(n.fd);
  }

  /** Is `path` (canonical) writable: the nearest mount at or above it decides, else the root. */
  writable(path: string): boolean {
    for (let p = path; ; p = posix.dirname(p)) {
      const m = this.mounts.get(p);
      if (m) return m.rw;
      if (p === '/') return this.rootRw;
    }
  }

  /** Is a mount shown at exactly this (canonical) path? */
  isMountPoint(path: string): boolean {
    return this.mounts.has(path);
  }

  /** The entry `name` in directory `dir`, not followed if it is a symlink (a mount if one is shown there). */
  child(dir: Node, name: string): Node | undefined {
    const path = dir.path === '/' ? `/${name}` : `${dir.path}/${name}`;
    const m = this.mounts.get(path);
    if (m) return { ...m.node, parent: dir, name };
    let fd: number;
    try {
      fd = openSync(fdPath(dir.fd, name), O_PATH | fsc.O_NOFOLLOW);
    } catch (e) {
      const c = errnoCode(e);
      if (c === 'ENOENT' || c === 'ENOTDIR') return undefined;
      throw e;
    }
    this.open.add(fd);
    return { fd, st: fstatSync(fd), path, parent: dir, name, owned: true };
  }

  /**
   * Walk `path` (as the container writes it) from the root. Symlinks before the last component
   * are always followed inside the scope, the last one only with `followLast`. With
   * `missingOk` a missing last component is returned as a Missing; with `mkdirs` missing
   * directories on the way are made (0755, as docker's extraction makes parents).
   */
  resolve(path: string, o: { followLast: boolean; missingOk?: boolean; mkdirs?: boolean; from?: Node }): Node | Missing {
    const todo = path.split('/').filter((c) => c !== '' && c !== '.');
    // `from` (the caller's) and the root are never released here
    const base = o.from ?? this.root;
    const stack: Node[] = [base];
    const drop = (n: Node | undefined) => {
      if (n && n !== base) this.release(n);
    };
    let links = 0;
    try {
      while (todo.length) {
        const c = todo.shift()!;
        const top = stack[stack.length - 1]!;
        if (c === '..') {
          if (stack.length > 1) drop(stack.pop());
          continue;
        }
        if (!top.st.isDirectory()) throw new EngineError(ErrorCode.INVALID, `not a directory: ${top.path}`);
        let next = this.child(top, c);
        if (!next && o.mkdirs && todo.length > 0) {
          try {
            mkdirSync(fdPath(top.fd, c), 0o755);
          } catch (e) {
            if (errnoCode(e) !== 'EEXIST') throw e;
          }
          next = this.child(top, c);
        }
        if (!next) {
          if (todo.length === 0 && o.missingOk) {
            const r: Missing = { parent: top, name: c, path: top.path === '/' ? `/${c}` : `${top.path}/${c}` };
            stack.pop();
            for (const n of stack) drop(n);
            return r;
          }
          throw new NotFoundError(`no such file or directory: ${path}`);
        }
        if (next.st.isSymbolicLink() && (todo.length > 0 || o.followLast)) {
          if (++links > MAX_LINKS) throw new EngineError(ErrorCode.INVALID, `too many levels of symbolic links: ${path}`);
          let target = '';
          try {
            target = readlinkSync(fdPath(top.fd, c));
          } catch {
            // swapped for something else meanwhile: an empty target resolves to where we are
          }
          this.release(next);
          if (target.startsWith('/')) {
            while (stack.length) drop(stack.pop());
            stack.push(this.root);
          }
          todo.unshift(...target.split('/').filter((x) => x !== '' && x !== '.'));
          continue;
        }
        stack.push(next);
      }
      const last = stack.pop()!;
      // the directory it is in stays open with it (readlink, xattrs and the like go by name)
      const parent = stack.pop();
      for (const n of stack) drop(n);
      if (parent && last.parent === parent && parent !== base) last.holdsParent = true;
      else if (parent && parent !== base) this.release(parent);
      return last;
    } catch (e) {
      for (const n of stack) drop(n);
      throw e;
    }
  }

  /** A directory's names, sorted as Go's WalkDir visits them. */
  list(dir: Node): string[] {
    return readdirSync(fdPath(dir.fd)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** The target of a symlink node (read through its directory, never followed). */
  readlink(n: Node): string {
    return readlinkSync(n.parent ? fdPath(n.parent.fd, n.name) : fdPath(n.fd));
  }

  /**
   * Delete `name` in `dir` and, for a directory, everything in it, walking by fd so that a
   * directory swapped for a symlink meanwhile is unlinked, never followed.
   */
  removeTree(dir: Node, name: string): void {
    const n = this.child(dir, name);
    if (!n) return;
    try {
      if (n.st.isDirectory() && !this.isMountPoint(n.path)) {
        let d: number | undefined;
        try {
          d = openSync(fdPath(dir.fd, name), fsc.O_RDONLY | fsc.O_DIRECTORY | fsc.O_NOFOLLOW);
        } catch {
          d = undefined;
        }
        if (d !== undefined) {
          this.open.add(d);
          const self: Node = { ...n, fd: d, owned: true };
          for (const c of readdirSync(fdPath(d))) this.removeTree(self, c);
          this.release(self);
          rmdirSync(fdPath(dir.fd, name));
          return;
        }
      }
      unlinkSync(fdPath(dir.fd, name));
    } finally {
      this.release(n);
    }
  }
}
