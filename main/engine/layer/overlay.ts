import { existsSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { errnoCode, lgetxattr } from '../util/native.js';

/** OCI whiteout names (image-spec layer.md) and the overlayfs markers they map to. */
export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_WHITEOUT = '.wh..wh..opq';
/** AUFS-era metadata names (`.wh..wh.plnk` ...): never real files, skipped like docker does. */
export const WHITEOUT_META_PREFIX = '.wh..wh.';

/** The xattr that marks an opaque dir: `user.` when the overlay is mounted with userxattr. */
export function opaqueXattr(rootless: boolean | undefined): string {
  return rootless ? 'user.overlay.opaque' : 'trusted.overlay.opaque';
}

/** xattrs overlayfs (and fuse-overlayfs) keep for themselves (origin, impure, redirect,
 *  opaque...): never layer content. */
export function isOverlayXattr(name: string): boolean {
  return name.startsWith('trusted.overlay.') || name.startsWith('user.overlay.') || name.startsWith('user.fuseoverlayfs.');
}

/** An overlay whiteout as overlayfs creates it in an upper dir: a 0/0 character device. */
export function isWhiteoutDevice(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

/**
 * Whether a directory in an upper dir is opaque (hides everything below it in lower dirs):
 * the kernel's xattr, or what fuse-overlayfs writes where it cannot use that one
 * (user.fuseoverlayfs.opaque, or a `.wh..wh..opq` file inside the directory).
 */
export function isOpaqueDir(path: string, rootless: boolean | undefined): boolean {
  for (const name of [opaqueXattr(rootless), 'user.fuseoverlayfs.opaque']) {
    const v = readXattr(path, name);
    if (v !== null && v.toString() === 'y') return true;
  }
  return existsSync(join(path, OPAQUE_WHITEOUT));
}

/** A snapshot written by either flavour (root: trusted.*, rootless: user.*) keeps this dir opaque. */
export function isOpaqueSnapshotDir(path: string): boolean {
  return isOpaqueDir(path, false) || isOpaqueDir(path, true);
}

/**
 * How an entry of an upper dir reads as a layer change: fuse-overlayfs leaves OCI-style
 * markers in its upper dir (`.wh.<name>` files, `.wh..wh..opq`, and a `.wh..opq` device of its
 * own) beside the kernel's 0/0 devices.
 */
export function upperEntryKind(name: string, st: Stats): 'whiteout' | 'whiteout-file' | 'marker' | 'plain' {
  if (name.startsWith(WHITEOUT_PREFIX)) {
    if (name === OPAQUE_WHITEOUT || isWhiteoutDevice(st) || name.startsWith(WHITEOUT_META_PREFIX)) return 'marker';
    if (st.isFile() && st.size === 0) return 'whiteout-file';
    return 'plain';
  }
  return isWhiteoutDevice(st) ? 'whiteout' : 'plain';
}

function readXattr(path: string, name: string): Buffer | null {
  try {
    return lgetxattr(path, name);
  } catch (e) {
    // A filesystem without xattrs, or trusted.* read without CAP_SYS_ADMIN: not opaque.
    const c = errnoCode(e);
    if (c === 'ENOTSUP' || c === 'EPERM' || c === 'EACCES') return null;
    throw e;
  }
}
