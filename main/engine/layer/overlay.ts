import type { Stats } from 'node:fs';
import { lgetxattr } from '../util/native.js';
import { errnoCode } from '../util/native.js';

/** OCI whiteout names (image-spec layer.md) and the overlayfs markers they map to. */
export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_WHITEOUT = '.wh..wh..opq';
/** AUFS-era metadata names (`.wh..wh.plnk` ...): never real files, skipped like docker does. */
export const WHITEOUT_META_PREFIX = '.wh..wh.';

/** The xattr that marks an opaque dir: `user.` when the overlay is mounted with userxattr. */
export function opaqueXattr(rootless: boolean | undefined): string {
  return rootless ? 'user.overlay.opaque' : 'trusted.overlay.opaque';
}

/** xattrs overlayfs keeps for itself (origin, impure, redirect, opaque...): never layer content. */
export function isOverlayXattr(name: string): boolean {
  return name.startsWith('trusted.overlay.') || name.startsWith('user.overlay.');
}

/** An overlay whiteout as overlayfs creates it in an upper dir: a 0/0 character device. */
export function isWhiteoutDevice(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

/** Whether a directory in an upper dir is opaque (hides everything below it in lower dirs). */
export function isOpaqueDir(path: string, rootless: boolean | undefined): boolean {
  const v = readXattr(path, opaqueXattr(rootless));
  return v !== null && v.toString() === 'y';
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
