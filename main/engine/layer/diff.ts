import { createHash, type Hash } from 'node:crypto';
import fs, { type Stats } from 'node:fs';
import { open, readlink, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import type { BlobStore } from '../store/blobs.js';
import type { NewLayer } from '../image/images.js';
import { MediaTypes } from '../image/types.js';
import { EngineError, ErrorCode, errorMessage } from '../model/errors.js';
import type { Digest } from '../util/digest.js';
import { errnoCode, lgetxattr, llistxattr } from '../util/native.js';
import { isOpaqueDir, isOverlayXattr, OPAQUE_WHITEOUT, upperEntryKind, WHITEOUT_PREFIX } from './overlay.js';
import { encodeHeader, END_OF_ARCHIVE, padding, type TarHeader } from './tar-format.js';
import { walkTree, walkTreeSync, type WalkEntry } from './walk.js';
import { rootfsDiff } from './rootfs-diff.js';
import { walkMerged } from './merged.js';
import { major, minor } from '../util/devno.js';

export interface PackUpperOptions {
  /** the upper dir belongs to a userxattr overlay: opaque dirs carry user.overlay.opaque */
  rootless?: boolean;
  /** SOURCE_DATE_EPOCH: no entry gets an mtime later than this (seconds) */
  epoch?: number;
}

export interface PackIo {
  /**
   * The calling thread may block (the builder's packing thread): walk, read and write with
   * plain syscalls, through reused buffers. A thousand small files cost half as much as through
   * the thread pool, where each open, read and close is a round trip; never on a thread that
   * serves anything else. Only for commits: a stream would queue the reused buffers.
   */
  syncIo?: boolean;
}

export interface PackDirOptions {
  /** SOURCE_DATE_EPOCH: no entry gets an mtime later than this (seconds) */
  epoch?: number;
  /** where the directory's contents land in the layer ("app/src"); default the root */
  prefix?: string;
  /** COPY --chown: every entry gets this owner */
  chown?: { uid: number; gid: number };
  /** COPY's .dockerignore: false leaves the entry (and, for a dir, its contents) out */
  filter?: (rel: string, st: Stats) => boolean;
}

/** Turn a container's (or build step's) overlay upper dir into a layer tar: overlay
 *  whiteouts (char 0/0) -> `.wh.<name>`, opaque dirs (trusted./user.overlay.opaque) ->
 *  `<dir>/.wh..wh..opq`, hardlinks within the upper kept as tar hardlinks, xattrs as PAX
 *  (skip the overlay.* ones), uid/gid/mode/mtime kept; entries sorted by path for
 *  reproducibility; optional `epoch` (SOURCE_DATE_EPOCH) clamps mtimes. */
export function packUpperDir(upper: string, opts: PackUpperOptions = {}): Readable {
  return Readable.from(tarChunks(upper, { upper: true, rootless: opts.rootless, epoch: opts.epoch }), { objectMode: false });
}

/** Pack an arbitrary directory (not an upper dir) as a layer: used by the builder's COPY. */
export function packDirectory(dir: string, opts: PackDirOptions = {}): Readable {
  return Readable.from(tarChunks(dir, { upper: false, ...opts }), { objectMode: false });
}

/** The merged tree of overlay layers (top first) as one plain tar: `docker export`. */
export function packMerged(layersTopFirst: string[], opts: { rootless?: boolean } = {}): Readable {
  return Readable.from(tarChunks('', { upper: false, source: walkMerged(layersTopFirst, opts) }), { objectMode: false });
}

/**
 * One file or directory tree as a tar whose entries are named under `name` (the path's own
 * entry first): what docker cp's GET archive sends. Never follows a symlink (the entry is the link).
 */
export function packPath(path: string, name: string): Readable {
  async function* source(): AsyncGenerator<WalkEntry> {
    const st = await fs.promises.lstat(path);
    yield { rel: name, path, st };
    if (st.isDirectory()) for await (const e of walkTree(path)) yield { ...e, rel: `${name}/${e.rel}` };
  }
  return Readable.from(tarChunks('', { upper: false, source: source() }), { objectMode: false });
}

/** Write packUpperDir's tar into the blob store (uncompressed, OCI media type
 *  application/vnd.oci.image.layer.v1.tar) hashing as it goes: blobDigest == diffId. */
export async function commitUpperDir(upper: string, blobs: BlobStore, opts: PackUpperOptions & PackIo = {}): Promise<NewLayer> {
  const chunks = tarChunks(upper, { upper: true, rootless: opts.rootless, epoch: opts.epoch, syncIo: opts.syncIo });
  return opts.syncIo ? commitChunksSync(chunks, blobs) : commitChunks(chunks, blobs);
}

/** packDirectory straight into the blob store, as commitUpperDir does for an upper dir. */
export async function commitDirectory(dir: string, blobs: BlobStore, opts: PackDirOptions & PackIo = {}): Promise<NewLayer> {
  const chunks = tarChunks(dir, { upper: false, ...opts });
  return opts.syncIo ? commitChunksSync(chunks, blobs) : commitChunks(chunks, blobs);
}

/** The copy driver's commit: a layer of what a full-copy rootfs changed against the image's
 *  layers (top first), deletions as `.wh.` entries; see rootfs-diff.ts. */
export function packRootfsDiff(rootfs: string, lowerDirs: string[], opts: PackUpperOptions = {}): Readable {
  return Readable.from(rootfsDiffChunks(rootfs, lowerDirs, opts), { objectMode: false });
}

export async function commitRootfsDiff(rootfs: string, lowerDirs: string[], blobs: BlobStore, opts: PackUpperOptions = {}): Promise<NewLayer> {
  return commitChunks(rootfsDiffChunks(rootfs, lowerDirs, opts), blobs);
}

async function* rootfsDiffChunks(rootfs: string, lowerDirs: string[], opts: PackUpperOptions): AsyncGenerator<Buffer> {
  const d = await rootfsDiff(rootfs, lowerDirs, opts);
  yield* tarChunks(rootfs, { upper: false, epoch: opts.epoch, whiteouts: d.whiteouts, filter: (rel) => d.include.has(rel) });
}

const WRITE_BATCH = 4 << 20;
/** Start writeback every this many bytes: the final fsync then waits for the last stretch
 *  only, instead of for the whole layer after everything else is done (measured: ~0.3 s of a
 *  200 MB commit moves off the critical path). */
const EARLY_SYNC = 32 << 20;

/**
 * Hash and write in one pass, batching the many small header/padding buffers into large
 * writev calls; the next batch is prepared while the previous write runs in the thread pool,
 * and earlier batches are already being flushed to disk (fdatasync in the pool too).
 */
async function commitChunks(chunks: AsyncGenerator<Buffer>, blobs: BlobStore): Promise<NewLayer> {
  const tmp = blobs.tempPath();
  const fh = await open(tmp, 'wx', 0o644).catch((e: unknown) => {
    throw cannotWriteBlob(tmp, e);
  });
  const hash = createHash('sha256');
  let size = 0;
  let batch: Buffer[] = [];
  let batchBytes = 0;
  let pending: Promise<unknown> = Promise.resolve();
  let syncing: Promise<unknown> = Promise.resolve();
  let sinceSync = 0;
  try {
    for await (const c of chunks) {
      hash.update(c);
      size += c.length;
      batch.push(c);
      batchBytes += c.length;
      if (batchBytes >= WRITE_BATCH) {
        await pending;
        pending = writeAll(fh, batch);
        batch = [];
        sinceSync += batchBytes;
        batchBytes = 0;
        if (sinceSync >= EARLY_SYNC) {
          sinceSync = 0;
          await syncing;
          syncing = pending.then(() => fh.datasync());
        }
      }
    }
    await pending;
    if (batch.length) await writeAll(fh, batch);
    await syncing;
    await fh.sync();
  } catch (e) {
    await pending.catch(() => {});
    await syncing.catch(() => {});
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  return committed(blobs, tmp, hash, size);
}

function committed(blobs: BlobStore, tmp: string, hash: Hash, size: number): NewLayer {
  const digest: Digest = `sha256:${hash.digest('hex')}`;
  blobs.commitTemp(tmp, digest);
  return { blobDigest: digest, mediaType: MediaTypes.ociLayer, blobSize: size, diffId: digest, size };
}

function openBlobTemp(tmp: string): number {
  try {
    return fs.openSync(tmp, 'wx', 0o644);
  } catch (e) {
    throw cannotWriteBlob(tmp, e);
  }
}

const cannotWriteBlob = (tmp: string, e: unknown) =>
  new EngineError(ErrorCode.SYSTEM, `cannot write the layer's blob in ${dirname(tmp)}: ${errnoCode(e) ?? errorMessage(e)} (check that the store's disk is writable and has space)`);

/**
 * commitChunks for syncIo (the packing thread): each chunk is hashed and copied into one
 * reused batch buffer before the next is asked for, and batches are written with plain
 * write(2). So the chunks may be reused buffers too (tarChunks' big-file reads are), and
 * packing a 50 MB file no longer leaves ~50 MB of dead 1 MB buffers for the GC to find. The
 * early writeback runs in the thread pool beside the writes, as in commitChunks.
 */
async function commitChunksSync(chunks: AsyncGenerator<Buffer>, blobs: BlobStore): Promise<NewLayer> {
  const tmp = blobs.tempPath();
  const fd = openBlobTemp(tmp);
  const hash = createHash('sha256');
  const batch = Buffer.allocUnsafe(WRITE_BATCH);
  let used = 0;
  let size = 0;
  let sinceSync = 0;
  let syncing: Promise<void> = Promise.resolve();
  const writeOut = (b: Buffer) => {
    for (let off = 0; off < b.length; ) off += fs.writeSync(fd, b, off, b.length - off);
  };
  const flush = () => {
    writeOut(batch.subarray(0, used));
    sinceSync += used;
    used = 0;
  };
  try {
    for await (const c of chunks) {
      hash.update(c);
      size += c.length;
      if (used + c.length > WRITE_BATCH) flush();
      if (c.length > WRITE_BATCH / 2) {
        writeOut(c);
        sinceSync += c.length;
      } else {
        c.copy(batch, used);
        used += c.length;
      }
      if (sinceSync >= EARLY_SYNC) {
        sinceSync = 0;
        await syncing;
        syncing = new Promise<void>((ok, fail) => fs.fdatasync(fd, (err) => (err ? fail(err) : ok())));
      }
    }
    flush();
    await syncing;
    fs.fsyncSync(fd);
  } catch (e) {
    await syncing.catch(() => {});
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  return committed(blobs, tmp, hash, size);
}

async function writeAll(fh: FileHandle, bufs: Buffer[]): Promise<void> {
  // writev may write less than asked (large batches); continue from where it stopped.
  let rest = bufs;
  while (rest.length) {
    const { bytesWritten } = await fh.writev(rest.length > 1000 ? rest.slice(0, 1000) : rest);
    let n = bytesWritten;
    let i = 0;
    while (i < rest.length && n >= rest[i]!.length) n -= rest[i++]!.length;
    rest = rest.slice(i);
    if (n > 0) rest[0] = rest[0]!.subarray(n);
  }
}

interface ChunkOptions extends PackDirOptions, PackIo {
  upper: boolean;
  rootless?: boolean;
  /** OCI whiteouts to emit right after a directory's entry ("" = the root, first) */
  whiteouts?: Map<string, string[]>;
  /** the entries to pack, instead of walking `root` */
  source?: AsyncIterable<WalkEntry>;
}

/** One tar entry ready to emit: its header, and for small files their bytes, being read. */
interface Planned {
  header: Buffer;
  /** small files: the whole content, read ahead in the thread pool */
  data?: Promise<Buffer>;
  /** large files: streamed in chunks when their turn comes */
  stream?: { e: WalkEntry; size: number };
  prefetch: number;
}

/** Files up to this size are read whole, ahead of their turn. */
const SMALL_FILE = 1 << 20;
const READ_CHUNK = 1 << 20;
/** Read-ahead bounds: enough to hide the open/read/close round trips of many small files. */
const AHEAD_ENTRIES = 64;
const AHEAD_BYTES = 32 << 20;

/**
 * The layer tar as a sequence of buffers: headers, file data, padding, end-of-archive. While
 * one entry is emitted (and hashed/written by the consumer), the next small files are already
 * being read in the thread pool: a thousand files cost a thousand opens, and doing them one
 * after another on the hot path was the slowest part of a commit.
 */
async function* tarChunks(root: string, o: ChunkOptions): AsyncGenerator<Buffer> {
  const prefix = (o.prefix ?? '').replace(/^\/+|\/+$/g, '');
  const seen = new Map<string, string>(); // dev:ino -> first name, for hardlinks
  const keep = o.filter;
  const vetoed = new Set<string>();
  let readBuf: Buffer | undefined; // syncIo: one read buffer for every big file
  const descend = keep ? (d: WalkEntry) => (keep(d.rel, d.st) ? true : (vetoed.add(d.rel), false)) : undefined;
  const walk = (o.source ?? (o.syncIo ? asAsync(walkTreeSync(root, descend)) : walkTree(root, descend)))[Symbol.asyncIterator]();
  const queue: Planned[] = [];
  let queuedBytes = 0;
  let walked = false;

  const plan = async (e: WalkEntry): Promise<Planned[]> => {
    const { st } = e;
    if (vetoed.has(e.rel)) return [];
    if (keep && !st.isDirectory() && !keep(e.rel, st)) return []; // dirs were asked in walkTree
    const name = prefix ? `${prefix}/${e.rel}` : e.rel;
    const mtime = clampTime(Math.floor(st.mtimeMs / 1000), o.epoch);
    const uid = o.chown?.uid ?? st.uid;
    const gid = o.chown?.gid ?? st.gid;
    const base: Omit<TarHeader, 'type'> = { name, mode: st.mode & 0o7777, uid, gid, size: 0, mtime };
    const only = (h: TarHeader): Planned[] => [{ header: encodeHeader(h), prefetch: 0 }];

    if (o.upper) {
      // Checked before hardlinks: overlayfs links all whiteouts to one shared inode.
      const kind = upperEntryKind(e.rel.slice(e.rel.lastIndexOf('/') + 1), st);
      if (kind === 'marker') return []; // folded into its directory's opaque entry
      if (kind === 'whiteout-file') return only({ ...base, type: 'file', size: 0 }); // already OCI form
      if (kind === 'whiteout') {
        const slash = name.lastIndexOf('/');
        return only({ ...base, name: `${name.slice(0, slash + 1)}${WHITEOUT_PREFIX}${name.slice(slash + 1)}`, type: 'file', mode: 0o600 });
      }
    }
    if (st.isSocket()) return []; // tar cannot hold sockets; docker drops them too

    const xattrs = readXattrs(e.path);
    if (st.isDirectory()) {
      const out = only({ ...base, type: 'directory', xattrs });
      if (o.upper && isOpaqueDir(e.path, o.rootless)) {
        out.push(...only({ ...base, name: `${name}/${OPAQUE_WHITEOUT}`, type: 'file', mode: st.mode & 0o777 }));
      }
      for (const gone of o.whiteouts?.get(e.rel) ?? []) {
        out.push(...only({ ...base, name: `${name}/${WHITEOUT_PREFIX}${gone}`, type: 'file', mode: 0o600 }));
      }
      return out;
    }
    if (st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      const first = seen.get(key);
      if (first !== undefined) return only({ ...base, type: 'link', linkname: first, xattrs });
      seen.set(key, name);
    }
    if (st.isSymbolicLink()) return only({ ...base, type: 'symlink', linkname: await readlink(e.path), xattrs });
    if (st.isCharacterDevice() || st.isBlockDevice()) {
      const type = st.isCharacterDevice() ? 'character-device' : 'block-device';
      return only({ ...base, type, devmajor: major(st.rdev), devminor: minor(st.rdev), xattrs });
    }
    if (st.isFIFO()) return only({ ...base, type: 'fifo', xattrs });
    if (!st.isFile()) return [];
    const header = encodeHeader({ ...base, type: 'file', size: st.size, xattrs });
    if (st.size === 0) return [{ header, prefetch: 0 }];
    if (st.size > SMALL_FILE) return [{ header, stream: { e, size: st.size }, prefetch: 0 }];
    const data = o.syncIo ? Promise.resolve(readWholeSync(e, st.size)) : readWhole(e, st.size);
    data.catch(() => {}); // awaited in order later; never an unhandled rejection meanwhile
    return [{ header, data, prefetch: st.size }];
  };

  const fill = async (): Promise<void> => {
    while (!walked && queue.length < AHEAD_ENTRIES && queuedBytes < AHEAD_BYTES) {
      const r = await walk.next();
      if (r.done) {
        walked = true;
        return;
      }
      for (const p of await plan(r.value)) {
        queue.push(p);
        queuedBytes += p.prefetch;
      }
    }
  };

  for (const gone of o.whiteouts?.get('') ?? []) {
    const mtime = clampTime(Math.floor(Date.now() / 1000), o.epoch);
    yield encodeHeader({ name: prefix ? `${prefix}/${WHITEOUT_PREFIX}${gone}` : `${WHITEOUT_PREFIX}${gone}`, type: 'file', mode: 0o600, uid: 0, gid: 0, size: 0, mtime });
  }
  try {
    for (;;) {
      await fill();
      const p = queue.shift();
      if (!p) break;
      queuedBytes -= p.prefetch;
      yield p.header;
      let size = 0;
      if (p.data) {
        const d = await p.data;
        size = d.length;
        yield d;
      } else if (p.stream) {
        size = p.stream.size;
        yield* o.syncIo ? fileChunksSync(p.stream.e, size, (readBuf ??= Buffer.allocUnsafe(READ_CHUNK))) : fileChunks(p.stream.e, size);
      }
      const pad = padding(size);
      if (pad) yield pad;
    }
  } finally {
    // Abandoned early (consumer failed): let in-flight reads finish closing their files.
    await Promise.allSettled(queue.map((p) => p.data));
  }
  yield END_OF_ARCHIVE;
}

const cannotRead = (e: WalkEntry, err: unknown) => new EngineError(ErrorCode.SYSTEM, `cannot read /${e.rel} to pack it into a layer (${errnoCode(err) ?? String(err)})`);

async function openForPack(e: WalkEntry): Promise<FileHandle> {
  try {
    return await open(e.path, 'r');
  } catch (err) {
    throw cannotRead(e, err);
  }
}

/** Exactly `size` bytes of the file: a file that shrank since lstat is padded with zeros and
 *  one that grew is cut, so the tar stays well-formed while a container keeps writing.
 *  Plain fs callbacks: measurably cheaper per file than FileHandle promises. */
async function readWhole(e: WalkEntry, size: number): Promise<Buffer> {
  let fd: number;
  try {
    fd = await fsOpen(e.path, 'r');
  } catch (err) {
    throw cannotRead(e, err);
  }
  try {
    const buf = Buffer.allocUnsafe(size);
    let got = 0;
    while (got < size) {
      const bytesRead = await fsRead(fd, buf, got, size - got, got);
      if (bytesRead === 0) {
        buf.fill(0, got);
        break;
      }
      got += bytesRead;
    }
    return buf;
  } finally {
    await fsClose(fd);
  }
}

/** readWhole for syncIo: only the builder's finished step dirs, which nothing writes any more. */
function readWholeSync(e: WalkEntry, size: number): Buffer {
  let data: Buffer;
  try {
    data = fs.readFileSync(e.path);
  } catch (err) {
    throw cannotRead(e, err);
  }
  if (data.length === size) return data;
  const out = Buffer.alloc(size);
  data.copy(out, 0, 0, Math.min(size, data.length));
  return out;
}

async function* asAsync<T>(it: Iterable<T>): AsyncGenerator<T> {
  yield* it;
}

const fsOpen = (path: string, flags: string): Promise<number> =>
  new Promise((resolve, reject) => fs.open(path, flags, (err, fd) => (err ? reject(err) : resolve(fd))));
const fsRead = (fd: number, buf: Buffer, off: number, len: number, pos: number): Promise<number> =>
  new Promise((resolve, reject) => fs.read(fd, buf, off, len, pos, (err, n) => (err ? reject(err) : resolve(n))));
const fsClose = (fd: number): Promise<void> => new Promise((resolve, reject) => fs.close(fd, (err) => (err ? reject(err) : resolve())));

/** A large file in chunks (same size rule as readWhole), the next chunk read while this one
 *  is consumed. */
/** fileChunks for syncIo: every chunk is a view of `buf`, valid until the next is asked for
 *  (commitChunksSync copies or writes it first). */
function* fileChunksSync(e: WalkEntry, size: number, buf: Buffer): Generator<Buffer> {
  let fd: number;
  try {
    fd = fs.openSync(e.path, 'r');
  } catch (err) {
    throw cannotRead(e, err);
  }
  try {
    for (let pos = 0; pos < size; ) {
      const want = Math.min(size - pos, buf.length);
      const got = fs.readSync(fd, buf, 0, want, pos);
      if (got < want) buf.fill(0, got, want); // shrank: keep the promised length
      pos += want;
      yield buf.subarray(0, want);
    }
  } finally {
    fs.closeSync(fd);
  }
}

async function* fileChunks(e: WalkEntry, size: number): AsyncGenerator<Buffer> {
  const fh = await openForPack(e);
  const readAt = async (pos: number): Promise<Buffer> => {
    const want = Math.min(size - pos, READ_CHUNK);
    const buf = Buffer.allocUnsafe(want);
    const { bytesRead } = await fh.read(buf, 0, want, pos);
    if (bytesRead < want) buf.fill(0, bytesRead); // shrank: keep the promised length
    return buf;
  };
  let next: Promise<Buffer> | undefined;
  try {
    let pos = 0;
    next = readAt(0);
    while (pos < size) {
      const cur = await next!;
      pos += cur.length;
      next = pos < size ? readAt(pos) : undefined;
      next?.catch(() => {});
      yield cur;
    }
  } finally {
    await next?.catch(() => {});
    await fh.close();
  }
}

function readXattrs(path: string): Map<string, Buffer> | undefined {
  let names: string[];
  try {
    names = llistxattr(path);
  } catch (e) {
    if (errnoCode(e) === 'ENOTSUP') return undefined;
    throw e;
  }
  let out: Map<string, Buffer> | undefined;
  for (const n of names) {
    if (isOverlayXattr(n)) continue;
    let v: Buffer | null;
    try {
      v = lgetxattr(path, n);
    } catch (e) {
      const c = errnoCode(e);
      if (c === 'EPERM' || c === 'EACCES' || c === 'ENOTSUP') continue; // trusted.* without privilege
      throw e;
    }
    if (v !== null) (out ??= new Map()).set(n, v);
  }
  return out;
}

function clampTime(t: number, epoch: number | undefined): number {
  return epoch !== undefined && t > epoch ? epoch : t;
}
