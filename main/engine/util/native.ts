import { createRequire } from 'node:module';
import { existsSync, Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { EngineError, ErrorCode } from '../model/errors.js';

/**
 * Typed access to native/slipway_native.c: the Linux calls Node lacks. Loaded on first use so
 * commands that never touch device nodes, xattrs or mounts do not pay for it (or fail when the
 * addon was not built). Errors thrown by these functions carry `code` = errno name.
 */
interface NativeAddon {
  mknod(path: string, mode: number, major: number, minor: number): void;
  lsetxattr(path: string, name: string, value: Buffer): void;
  lgetxattr(path: string, name: string): Buffer | null;
  llistxattr(path: string): string[];
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void;
  umount2(target: string, flags: number): void;
  peercred(fd: number): { pid: number; uid: number; gid: number };
  netnsCreate?(path: string): void;
  readdirStats(dir: string): { names: string[]; stats: Float64Array };
  readdirFingerprint?(dir: string): { bytes: Buffer; dirs: string[] };
  seqpacketConnect(path: string, onEvent: (kind: 'data' | 'end' | 'writable' | 'error', data?: Buffer | string) => void): SeqpacketHandle;
  seqpacketSend(h: SeqpacketHandle, data: Buffer): number;
  seqpacketWatch(h: SeqpacketHandle, readable: boolean, writable: boolean): void;
  seqpacketShutdown(h: SeqpacketHandle): void;
  seqpacketClose(h: SeqpacketHandle): void;
}

/** An open SOCK_SEQPACKET connection inside the addon (see util/seqpacket.ts). */
export type SeqpacketHandle = { readonly __seqpacket: unique symbol };

/** build/Release/ of the checkout: walked up to from wherever this code runs (main/, dist/main/, dist/bundle/). */
function candidates(): string[] {
  const out: string[] = [];
  for (let dir = import.meta.dirname, i = 0; i < 6; i++, dir = dirname(dir)) out.push(join(dir, 'build', 'Release', 'slipway_native.node'));
  return out;
}

let addon: NativeAddon | undefined;

function load(): NativeAddon {
  if (addon) return addon;
  const path = candidates().find((p) => existsSync(p));
  if (!path) {
    throw new EngineError(ErrorCode.SYSTEM, 'the native helper build/Release/slipway_native.node is missing: run `npm run build:native` (or `npm install`) in the Slipway checkout');
  }
  addon = createRequire(import.meta.url)(path) as NativeAddon;
  return addon;
}

/** The addon, checked to have `fn`: one built before `fn` was added says how to fix it. */
function loadWith(fn: keyof NativeAddon): NativeAddon {
  const a = load();
  if (typeof a[fn] !== 'function') {
    throw new EngineError(ErrorCode.SYSTEM, `the native helper build/Release/slipway_native.node is older than native/ (it has no ${fn}): run \`npm run build:native\` in the Slipway checkout`);
  }
  return a;
}

/** An error from the addon (or fs) with an errno name in `code`. */
export function errnoCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;

export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_NOEXEC = 0x8;
export const MS_REMOUNT = 0x20;
export const MS_BIND = 0x1000;
export const MS_REC = 0x4000;
export const MS_PRIVATE = 0x40000;
export const MNT_DETACH = 0x2;

/** mknod(2); `mode` includes the type bits (S_IFCHR | 0o644...). */
export function mknod(path: string, mode: number, major = 0, minor = 0): void {
  load().mknod(path, mode, major, minor);
}

export function lsetxattr(path: string, name: string, value: Buffer | string): void {
  load().lsetxattr(path, name, Buffer.isBuffer(value) ? value : Buffer.from(value));
}

/** The attribute's value, or null when it is not set. */
export function lgetxattr(path: string, name: string): Buffer | null {
  return load().lgetxattr(path, name);
}

/** Names of the attributes set on `path` (not following a final symlink). */
export function llistxattr(path: string): string[] {
  return load().llistxattr(path);
}

export function mount(source: string | null, target: string, fstype: string | null, flags = 0, data: string | null = null): void {
  load().mount(source, target, fstype, flags, data);
}

export function umount2(target: string, flags = 0): void {
  load().umount2(target, flags);
}

/** The addon with its seqpacket calls, for util/seqpacket.ts (which wraps them as a stream). */
export function seqpacketAddon(): NativeAddon {
  return loadWith('seqpacketConnect');
}

/**
 * A new network namespace bind-mounted on the existing file `path`, made on a thread of the
 * addon's; false when the addon is missing or older than the call (the caller then runs
 * util-linux's `unshare`, a process of its own).
 */
export function createNetnsNative(path: string): boolean {
  const a = addonWith('netnsCreate');
  a?.netnsCreate!(path);
  return a !== undefined;
}

/** The addon when it loads and has `call` (an addon built before the call was added lacks it), else undefined. */
function addonWith(call: keyof NativeAddon): NativeAddon | undefined {
  try {
    const a = load();
    return typeof a[call] === 'function' ? a : undefined;
  } catch {
    return undefined;
  }
}

/** True when the addon can be loaded (for `slipway info` and tests that need it). */
export function nativeAvailable(): boolean {
  try {
    load();
    return true;
  } catch {
    return false;
  }
}

/** SO_PEERCRED of a connected unix socket's fd: who is on the other end (the Engine API's check). */
export function peerCredentials(fd: number): { pid: number; uid: number; gid: number } {
  const a = load();
  if (typeof a.peercred !== 'function') {
    throw new Error('the native helper build/Release/slipway_native.node is older than native/slipway_native.c: run `npm run build:native`');
  }
  return a.peercred(fd);
}

/**
 * A directory's entries (sorted as Array.prototype.sort sorts names) with each one's lstat,
 * in one call to the addon; undefined when the addon is missing or older than the call (the
 * caller then lists and stats in JS).
 */
const FIELDS = ['dev', 'mode', 'nlink', 'uid', 'gid', 'rdev', 'blksize', 'ino', 'size', 'blocks', 'atimeMs', 'mtimeMs', 'ctimeMs', 'birthtimeMs'] as const;
/**
 * fs.Stats objects (instanceof Stats, the same is*() methods) whose Date fields are made when
 * read: fs.Stats' constructor makes all four Dates up front, which was most of the walk's cost.
 * Rounded as fs.Stats rounds (new Date() alone truncates, a millisecond off for half the files).
 */
const lazyStatsProto: object = Object.create(
  Stats.prototype,
  Object.fromEntries(
    (['atime', 'mtime', 'ctime', 'birthtime'] as const).map((k) => [k, { get(this: Record<string, number>) { return new Date(Math.round(this[`${k}Ms`]!)); } }]),
  ),
);

/**
 * Every field assigned in one constructor, in one order: V8 then gives all these objects one
 * shape with the fields inside the object, where adding them one by one to Object.create()'s
 * result grew a property store for each (a third of the walk's JS time for 2,000 files).
 */
function LazyStats(this: Record<(typeof FIELDS)[number], number>, v: Float64Array, o: number) {
  this.dev = v[o]!;
  this.mode = v[o + 1]!;
  this.nlink = v[o + 2]!;
  this.uid = v[o + 3]!;
  this.gid = v[o + 4]!;
  this.rdev = v[o + 5]!;
  this.blksize = v[o + 6]!;
  this.ino = v[o + 7]!;
  this.size = v[o + 8]!;
  this.blocks = v[o + 9]!;
  this.atimeMs = v[o + 10]!;
  this.mtimeMs = v[o + 11]!;
  this.ctimeMs = v[o + 12]!;
  this.birthtimeMs = v[o + 13]!;
}
LazyStats.prototype = lazyStatsProto;
const makeStats = LazyStats as unknown as new (v: Float64Array, o: number) => Stats;

export function readdirWithStats(dir: string): [string, Stats][] | undefined {
  const a = addonWith('readdirStats');
  if (!a) return undefined;
  const { names, stats: v } = a.readdirStats(dir);
  const out: [string, Stats][] = names.map((n, i) => [n, new makeStats(v, i * FIELDS.length)]);
  // the addon sorts by bytes; UTF-16 order differs only for names outside ASCII
  if (names.some((n) => /[^\x00-\x7f]/.test(n))) out.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  return out;
}

/**
 * A directory's entries as bytes to hash (each name with its mode, owner, size, inode, mtime
 * and ctime, sorted by name) and its subdirectories' names, in one call and without an
 * object per entry; undefined when the addon is missing or older than the call.
 */
export function readdirFingerprint(dir: string): { bytes: Buffer; dirs: string[] } | undefined {
  return addonWith('readdirFingerprint')?.readdirFingerprint!(dir);
}
