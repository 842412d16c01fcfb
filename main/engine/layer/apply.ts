import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { chmodSync, closeSync, constants as fsc, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { EngineError, ErrorCode } from '../model/errors.js';
import type { Digest } from '../util/digest.js';
import { errnoCode, lsetxattr, mknod, S_IFBLK, S_IFCHR, S_IFIFO } from '../util/native.js';
import { cleanEntryPath } from './entry-path.js';
import { OPAQUE_WHITEOUT, opaqueXattr, WHITEOUT_META_PREFIX, WHITEOUT_PREFIX } from './overlay.js';
import { decodePax } from './tar-format.js';

export interface ApplyOptions {
  /** 'overlay': whiteouts become overlay whiteouts (snapshot used as a lowerdir);
   *  'flatten': whiteouts delete what they hide (copy-driver rootfs, import). */
  mode?: 'overlay' | 'flatten';
  /** rootless: opaque dirs use user.overlay.opaque (mounted with userxattr); no device nodes
   *  except 0/0 whiteouts; chown failures for unmapped ids are errors naming the id. */
  rootless?: boolean;
  /** docker cp's noOverwriteDirNonDir: refuse to replace a directory with a non-directory or back */
  keepKinds?: boolean;
}

export interface ApplyResult {
  /** sha256 of the uncompressed tar stream: the layer's diffID */
  diffId: Digest;
  /** bytes of the uncompressed tar stream */
  size: number;
  /** things a layer asked for that this host could not do (device nodes when rootless,
   *  xattrs the filesystem refuses); the layer is usable without them, as with docker */
  warnings: string[];
}

export type Header = Omit<tar.Header, 'pax'> & { pax?: Record<string, string | Buffer> | null };

const O_CREATE_FILE = fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW;

/**
 * Extract a layer tar (plain or gzip, detected by magic; zstd -> clear error) into `dest`,
 * returning the digest and byte size of the UNCOMPRESSED tar stream (the diffID).
 * The caller extracts into a temp dir it deletes on error: a refused entry just throws.
 */
export async function applyLayer(src: Readable, dest: string, opts: ApplyOptions = {}): Promise<ApplyResult> {
  const input = await decompressed(src);
  const hash = createHash('sha256');
  let size = 0;
  const writer = new LayerWriter(dest, opts);
  try {
    await forEachTarEntry(input, (h, body) => writer.entry(h, body), (buf) => {
      hash.update(buf);
      size += buf.length;
    });
    await writer.finish();
  } catch (e) {
    src.destroy();
    throw asLayerError(e);
  }
  return { diffId: `sha256:${hash.digest('hex')}`, size, warnings: writer.warnings };
}

/**
 * Parse a plain tar stream with tar-stream, one entry at a time (each handler awaited before
 * the next entry), PAX values kept as bytes; `onChunk` sees every byte as it goes by.
 * Rejects with the first failure, a handler's or the parser's.
 */
export async function forEachTarEntry(input: Readable, onEntry: (h: Header, body: Readable) => Promise<void>, onChunk?: (buf: Buffer) => void): Promise<void> {
  const extract = tar.extract({ allowUnknownFormat: true } as never);
  binaryPax(extract);
  let failure: unknown;
  const failed = new Promise<never>((_, reject) => extract.on('error', (e: unknown) => reject((failure ??= e))));
  failed.catch(() => {});
  extract.on('entry', (header, stream, next) => {
    // A failed extract destroys the current entry's stream with the same error, which is
    // already reported through `failed`: without a listener it would be thrown as uncaught.
    stream.on('error', () => {});
    onEntry(header as Header, stream as unknown as Readable).then(
      () => next(),
      (e: unknown) => {
        failure ??= e;
        stream.resume();
        next(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
  try {
    for await (const chunk of input) {
      const buf = chunk as Buffer;
      onChunk?.(buf);
      if (!extract.write(buf)) await Promise.race([once(extract as never, 'drain'), failed]);
    }
    (extract as unknown as { end(): void }).end();
    await Promise.race([once(extract as never, 'finish'), failed]);
  } catch (e) {
    input.destroy();
    extract.destroy(new Error('tar extraction aborted'));
    throw failure ?? e;
  }
}

function asLayerError(e: unknown): unknown {
  if (e instanceof EngineError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  if (/tar header|Unexpected end of data|unexpected end of file|incorrect header check|invalid (stored|block|distance)/i.test(msg)) {
    return new EngineError(ErrorCode.INVALID, `the layer is not a valid tar archive (${msg}); the file may be truncated or corrupt`);
  }
  return e;
}

/** The stream with gzip removed; refuses compressions we cannot read with a clear message. */
export async function decompressed(src: Readable): Promise<Readable> {
  const it = src[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let head = Buffer.alloc(0);
  let ended = false;
  while (head.length < 6) {
    const r = await it.next();
    if (r.done) {
      ended = true;
      break;
    }
    head = head.length === 0 ? Buffer.from(r.value) : Buffer.concat([head, r.value]);
  }
  const rest = Readable.from(
    (async function* () {
      if (head.length) yield head;
      if (ended) return;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield r.value;
      }
    })(),
    { objectMode: false },
  );
  // 128 kB output chunks instead of 16 kB: a quarter of the tar-parser and write calls.
  if (head[0] === 0x1f && head[1] === 0x8b) {
    const gunzip = createGunzip({ chunkSize: 128 << 10 });
    // pipeline, not pipe: a failing source (a dropped download) must fail the gunzip too,
    // or the extraction would wait for more data forever.
    pipeline(rest, gunzip, () => {});
    return gunzip;
  }
  if (head.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) {
    rest.destroy();
    throw new EngineError(ErrorCode.INVALID, 'the layer is zstd-compressed, which Slipway cannot unpack yet; re-save the image with gzip or uncompressed layers (e.g. `skopeo copy --dest-compress-format gzip`)');
  }
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) || head.subarray(0, 3).toString('latin1') === 'BZh') {
    rest.destroy();
    throw new EngineError(ErrorCode.INVALID, 'the layer is xz- or bzip2-compressed, which OCI layers never are; provide a plain or gzip tar');
  }
  return rest;
}

/** Make tar-stream keep PAX values as bytes (see tar-format.ts decodePax). */
export function binaryPax(extract: tar.Extract): void {
  const ex = extract as unknown as {
    _header: { type: string };
    _pax: Record<string, unknown> | null;
    _paxGlobal: Record<string, unknown> | null;
    _decodeLongHeader(buf: Buffer): void;
  };
  const original = ex._decodeLongHeader.bind(ex);
  ex._decodeLongHeader = (buf: Buffer) => {
    if (ex._header.type === 'pax-header') ex._pax = { ...(ex._paxGlobal ?? {}), ...decodePax(buf) };
    else if (ex._header.type === 'pax-global-header') ex._paxGlobal = decodePax(buf);
    else original(buf);
  };
}

function unsafe(name: string, why: string): EngineError {
  return new EngineError(ErrorCode.INVALID, `refusing to extract "${name}": ${why}; the archive is unsafe`);
}

interface DeferredDir {
  mode: number;
  atime: number;
  mtime: number;
}

/** Writes entries one at a time under `dest`, never following a symlink on the way. */
class LayerWriter {
  readonly warnings: string[] = [];
  private readonly flatten: boolean;
  private readonly rootless: boolean;
  private readonly keepKinds: boolean;
  /** relative dirs checked to be real directories (not symlinks) since they last changed */
  private readonly safeDirs = new Set<string>(['.']);
  /** directory modes and times, applied after their children were written */
  private readonly dirs = new Map<string, DeferredDir>();
  /** paths this layer wrote: an opaque whiteout in flatten mode must not delete them */
  private readonly written = new Set<string>();

  constructor(private readonly dest: string, opts: ApplyOptions) {
    this.flatten = opts.mode === 'flatten';
    this.rootless = !!opts.rootless;
    this.keepKinds = !!opts.keepKinds;
  }

  async entry(h: Header, body: Readable): Promise<void> {
    const rel = cleanEntryPath(h.name);
    if (rel === null) {
      throw unsafe(h.name, h.name.startsWith('/') ? 'the path is absolute' : 'the path leads outside the layer root with ".."');
    }
    const base = rel.slice(rel.lastIndexOf('/') + 1);
    if (base.startsWith(WHITEOUT_PREFIX)) {
      body.resume();
      return this.whiteout(h, rel, base);
    }
    switch (h.type) {
      case 'file':
      case 'contiguous-file':
        return this.file(h, rel, body);
      case 'directory':
        body.resume();
        return this.directory(h, rel);
      default:
        body.resume();
        if (rel === '.') throw unsafe(h.name, `the layer root must be a directory, not a ${h.type}`);
        break;
    }
    const path = this.prepare(h.name, rel);
    switch (h.type) {
      case 'symlink':
        symlinkSync(h.linkname ?? '', path);
        break;
      case 'link':
        return this.hardlink(h, rel, path);
      case 'character-device':
      case 'block-device':
      case 'fifo': {
        const kind = h.type === 'fifo' ? S_IFIFO : h.type === 'block-device' ? S_IFBLK : S_IFCHR;
        const isWhiteoutDev = kind === S_IFCHR && !h.devmajor && !h.devminor;
        if (this.rootless && kind !== S_IFIFO && !isWhiteoutDev) {
          this.warnings.push(`skipped device node /${rel}: device nodes cannot be created without root`);
          return;
        }
        mknod(path, kind | ((h.mode ?? 0o644) & 0o7777), h.devmajor ?? 0, h.devminor ?? 0);
        break;
      }
      default:
        throw new EngineError(ErrorCode.INVALID, `cannot extract "${h.name}": tar entry type "${h.type}" is not supported in a layer`);
    }
    this.owner(path, h, rel);
    if (h.type !== 'symlink') chmodSync(path, (h.mode ?? 0o644) & 0o7777);
    this.xattrs(path, h, rel);
    const t = times(h);
    lutimesSync(path, t.atime, t.mtime);
  }

  private async file(h: Header, rel: string, body: Readable): Promise<void> {
    if (rel === '.') throw unsafe(h.name, 'the layer root must be a directory, not a file');
    const path = this.prepare(h.name, rel);
    const fd = openSync(path, O_CREATE_FILE, 0o600);
    try {
      for await (const chunk of body) writeFully(fd, chunk as Buffer);
      this.owner(path, h, rel, (uid, gid) => fchownSync(fd, uid, gid));
      fchmodSync(fd, (h.mode ?? 0o644) & 0o7777);
      this.xattrs(path, h, rel);
      const t = times(h);
      futimesSync(fd, t.atime, t.mtime);
    } finally {
      closeSync(fd);
    }
  }

  private async directory(h: Header, rel: string): Promise<void> {
    const path = rel === '.' ? this.dest : this.prepare(h.name, rel, true);
    if (rel !== '.') {
      try {
        mkdirSync(path, 0o700);
      } catch (e) {
        if (errnoCode(e) !== 'EEXIST') throw e; // prepare() left only a real directory there
      }
      this.safeDirs.add(rel);
    }
    this.owner(path, h, rel);
    this.xattrs(path, h, rel);
    const t = times(h);
    this.dirs.set(rel, { mode: (h.mode ?? 0o755) & 0o7777, atime: t.atime, mtime: t.mtime });
  }

  private async hardlink(h: Header, rel: string, path: string): Promise<void> {
    const target = cleanEntryPath(h.linkname ?? '');
    if (target === null || target === '.') {
      throw unsafe(h.name, `it is a hard link to "${h.linkname}", outside the layer`);
    }
    this.checkParents(h.name, target);
    let st: Stats;
    try {
      st = lstatSync(join(this.dest, target));
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') throw unsafe(h.name, `it is a hard link to "${h.linkname}", which is not in the layer`);
      throw e;
    }
    if (st.isDirectory()) throw unsafe(h.name, `it is a hard link to the directory "${h.linkname}"`);
    linkSync(join(this.dest, target), path);
  }

  private async whiteout(h: Header, rel: string, base: string): Promise<void> {
    const dirRel = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '.';
    if (base === OPAQUE_WHITEOUT) {
      const dir = this.ensureDir(h.name, dirRel);
      if (this.flatten) {
        for (const name of readdirSync(dir)) {
          const childRel = dirRel === '.' ? name : `${dirRel}/${name}`;
          if (!this.written.has(childRel)) this.remove(childRel);
        }
      } else {
        this.setXattr(dir, opaqueXattr(this.rootless), Buffer.from('y'), dirRel, true);
      }
      return;
    }
    if (base.startsWith(WHITEOUT_META_PREFIX)) return;
    const hidden = base.slice(WHITEOUT_PREFIX.length);
    if (!hidden || hidden === '.' || hidden === '..') throw unsafe(h.name, 'it is a whiteout for an invalid name');
    const hiddenRel = dirRel === '.' ? hidden : `${dirRel}/${hidden}`;
    if (this.flatten) {
      this.checkParents(h.name, hiddenRel, true);
      this.remove(hiddenRel);
      return;
    }
    const path = this.prepare(h.name, hiddenRel);
    mknod(path, S_IFCHR, 0, 0);
    this.owner(path, h, hiddenRel);
    const t = times(h);
    lutimesSync(path, t.atime, t.mtime);
  }

  /**
   * Make `rel`'s parents real directories (creating missing ones, refusing symlinks), then
   * clear whatever is at `rel` unless it is a directory that a directory entry merges into.
   */
  private prepare(name: string, rel: string, keepDir = false): string {
    this.checkParents(name, rel);
    const path = join(this.dest, rel);
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (st && this.keepKinds && st.isDirectory() !== keepDir) {
      throw new EngineError(ErrorCode.INVALID, st.isDirectory() ? `cannot overwrite directory "/${rel}" with non-directory "${name}"` : `cannot overwrite non-directory "/${rel}" with directory "${name}"`);
    }
    if (st && !(keepDir && st.isDirectory())) this.remove(rel, st);
    if (this.flatten) this.written.add(rel);
    return path;
  }

  private checkParents(name: string, rel: string, mustExist = false): void {
    const parts = rel.split('/');
    let cur = '';
    for (let i = 0; i < parts.length - 1; i++) {
      cur = cur ? `${cur}/${parts[i]}` : parts[i]!;
      if (this.safeDirs.has(cur)) continue;
      const p = join(this.dest, cur);
      const st = lstatSync(p, { throwIfNoEntry: false });
      if (!st) {
        if (mustExist) return;
        // Docker creates missing parents as root-owned 0755 directories.
        mkdirSync(p, 0o755);
      } else if (st.isSymbolicLink()) {
        throw unsafe(name, `its parent "${cur}" is a symbolic link`);
      } else if (!st.isDirectory()) {
        throw new EngineError(ErrorCode.INVALID, `cannot extract "${name}": its parent "${cur}" is not a directory in the layer`);
      }
      this.safeDirs.add(cur);
    }
  }

  private ensureDir(name: string, rel: string): string {
    if (rel === '.') return this.dest;
    this.checkParents(name, `${rel}/x`);
    return join(this.dest, rel);
  }

  private remove(rel: string, st?: Stats): void {
    const path = join(this.dest, rel);
    st ??= lstatSync(path, { throwIfNoEntry: false });
    if (!st) return;
    if (st.isDirectory()) {
      rmSync(path, { recursive: true, force: true });
      const prefix = `${rel}/`;
      this.safeDirs.delete(rel);
      for (const d of this.safeDirs) if (d.startsWith(prefix)) this.safeDirs.delete(d);
      this.dirs.delete(rel);
      for (const d of this.dirs.keys()) if (d.startsWith(prefix)) this.dirs.delete(d);
    } else {
      rmSync(path, { force: true });
    }
  }

  private owner(path: string, h: Header, rel: string, viaFd?: (uid: number, gid: number) => void): void {
    const uid = paxNumber(h, 'uid') ?? h.uid ?? 0;
    const gid = paxNumber(h, 'gid') ?? h.gid ?? 0;
    try {
      if (viaFd) viaFd(uid, gid);
      else lchownSync(path, uid, gid);
    } catch (e) {
      const c = errnoCode(e);
      if (c === 'EINVAL' || c === 'EPERM') {
        if (c === 'EPERM' && !inUserNamespace()) {
          throw new EngineError(ErrorCode.SYSTEM, `cannot give /${rel} the owner ${uid}:${gid}: this process is neither root nor inside a user namespace; rootless unpacking must run inside the user's namespace (newuidmap with the /etc/subuid range)`);
        }
        throw new EngineError(ErrorCode.SYSTEM, `cannot give /${rel} the owner ${uid}:${gid}: that uid/gid is not mapped in this user namespace` +
            (this.rootless ? '; give your user a larger range in /etc/subuid and /etc/subgid (65536 ids is usual)' : ''));
      }
      throw e;
    }
  }

  private xattrs(path: string, h: Header, rel: string): void {
    if (!h.pax) return;
    for (const [k, v] of Object.entries(h.pax)) {
      if (!k.startsWith('SCHILY.xattr.')) continue;
      const name = k.slice('SCHILY.xattr.'.length);
      this.setXattr(path, name, Buffer.isBuffer(v) ? v : Buffer.from(v), rel, false);
    }
  }

  private setXattr(path: string, name: string, value: Buffer, rel: string, required: boolean): void {
    try {
      lsetxattr(path, name, value);
    } catch (e) {
      const c = errnoCode(e);
      if (!required && (c === 'ENOTSUP' || c === 'EPERM' || c === 'EACCES')) {
        this.warnings.push(`skipped xattr ${name} on /${rel}: ${c}`);
        return;
      }
      throw new EngineError(ErrorCode.SYSTEM, `cannot set ${name} on /${rel} (${c ?? 'error'}): the filesystem under the store must support ${this.rootless ? 'user' : 'trusted'} xattrs`);
    }
  }

  /** Directory modes and times, deepest first, now that nothing more is written inside. */
  async finish(): Promise<void> {
    const entries = [...this.dirs.entries()].sort(([a], [b]) => depth(b) - depth(a));
    for (const [rel, d] of entries) {
      const path = rel === '.' ? this.dest : join(this.dest, rel);
      const st = lstatSync(path, { throwIfNoEntry: false });
      if (!st?.isDirectory()) continue;
      chmodSync(path, d.mode);
      lutimesSync(path, d.atime, d.mtime);
    }
  }
}

/** False in the initial user namespace, whose uid_map maps every id to itself. */
export function inUserNamespace(): boolean {
  try {
    const map = readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/);
    return !(map.length === 3 && map[0] === '0' && map[1] === '0' && map[2] === '4294967295');
  } catch {
    return false;
  }
}

export function writeFully(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

function depth(rel: string): number {
  if (rel === '.') return 0;
  let n = 1;
  for (let i = 0; i < rel.length; i++) if (rel.charCodeAt(i) === 0x2f) n++;
  return n;
}

export function paxNumber(h: Header, key: string): number | undefined {
  const v = h.pax?.[key];
  if (v === undefined) return undefined;
  const n = Number(v.toString());
  return Number.isFinite(n) ? n : undefined;
}

/** atime/mtime in seconds, sub-second when PAX carries it. */
export function times(h: Header): { atime: number; mtime: number } {
  const mtime = paxNumber(h, 'mtime') ?? (h.mtime ? h.mtime.getTime() / 1000 : 0);
  const atime = paxNumber(h, 'atime') ?? mtime;
  return { atime, mtime };
}

