import { closeSync, createReadStream, createWriteStream, fstatSync, openSync, readSync, rmSync, type ReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { posix } from 'node:path';
import { InvalidArgumentError } from '../model/errors.js';

/**
 * Random access into an image archive (docker-archive or OCI layout tar). Tar is sequential and
 * docker-archives put manifest.json last, so the archive is first made a plain tar file on disk
 * (stdin and gzip-compressed archives are spooled into the store's tmp dir), then its headers are
 * indexed once and entries are read by offset. Nothing from the archive is extracted to disk
 * by path, so traversal tricks in entry names cannot write anywhere: names are only looked up.
 */
export interface ArchiveEntry {
  name: string;
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';
  offset: number;
  size: number;
  linkname: string;
}

const BLOCK = 512;

function bad(what: string, detail: string): never {
  throw new InvalidArgumentError(`${what} is not a valid image archive: ${detail}`);
}

function cstr(buf: Buffer, off: number, len: number): string {
  const slice = buf.subarray(off, off + len);
  const z = slice.indexOf(0);
  return slice.subarray(0, z < 0 ? len : z).toString('utf8');
}

function octal(buf: Buffer, off: number, len: number): number {
  if (buf[off]! & 0x80) {
    // GNU base-256 for sizes >= 8 GiB
    let v = 0;
    for (let i = off + 1; i < off + len; i++) v = v * 256 + buf[i]!;
    return v;
  }
  const s = cstr(buf, off, len).trim();
  if (!s) return 0;
  if (!/^[0-7]+$/.test(s)) return NaN;
  return parseInt(s, 8);
}

function checksumOK(h: Buffer): boolean {
  const want = octal(h, 148, 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
  return sum === want;
}

function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    if (sp < 0) break;
    const len = parseInt(data.subarray(i, sp).toString(), 10);
    if (!(len > 0)) break;
    const rec = data.subarray(sp + 1, i + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}

/** Normalize an entry name or a reference to one: "./a/b" -> "a/b"; refuses escapes. */
export function cleanName(name: string): string | undefined {
  const n = posix.normalize(`/${name}`).slice(1).replace(/\/$/, '');
  if (name.startsWith('/') || name.split('/').includes('..')) return undefined;
  return n;
}

export class TarIndex {
  readonly entries = new Map<string, ArchiveEntry>();
  private constructor(readonly path: string, readonly label: string) {}

  /** Index a plain tar file. Throws InvalidArgumentError for anything that is not a whole tar. */
  static open(path: string, label: string): TarIndex {
    const idx = new TarIndex(path, label);
    const fd = openSync(path, 'r');
    try {
      const total = fstatSync(fd).size;
      const h = Buffer.alloc(BLOCK);
      let off = 0;
      let longName: string | undefined;
      let longLink: string | undefined;
      let pax: Record<string, string> = {};
      let sawEnd = false;
      while (off + BLOCK <= total) {
        readSync(fd, h, 0, BLOCK, off);
        if (h.every((b) => b === 0)) { sawEnd = true; break; }
        if (!checksumOK(h)) {
          if (off === 0) bad(label, 'not a tar archive');
          bad(label, `corrupt tar header at byte ${off}`);
        }
        const size = octal(h, 124, 12);
        if (Number.isNaN(size)) bad(label, `corrupt tar header at byte ${off}`);
        const flag = String.fromCharCode(h[156] || 0x30);
        const dataOff = off + BLOCK;
        const next = dataOff + Math.ceil(size / BLOCK) * BLOCK;
        if (dataOff + size > total) bad(label, 'the archive is truncated');
        const readData = (): Buffer => {
          if (size > 1 << 20) bad(label, `oversized tar metadata entry at byte ${off}`);
          const b = Buffer.alloc(size);
          readSync(fd, b, 0, size, dataOff);
          return b;
        };
        if (flag === 'L') { longName = readData().toString('utf8').replace(/\0+$/, ''); off = next; continue; }
        if (flag === 'K') { longLink = readData().toString('utf8').replace(/\0+$/, ''); off = next; continue; }
        if (flag === 'x') { pax = parsePax(readData()); off = next; continue; }
        if (flag === 'g') { off = next; continue; }
        const magic = cstr(h, 257, 6);
        const prefix = magic.startsWith('ustar') ? cstr(h, 345, 155) : '';
        const raw = pax.path ?? longName ?? (prefix ? `${prefix}/${cstr(h, 0, 100)}` : cstr(h, 0, 100));
        const linkname = pax.linkpath ?? longLink ?? cstr(h, 157, 100);
        const realSize = pax.size ? Number(pax.size) : size;
        longName = longLink = undefined;
        pax = {};
        const type: ArchiveEntry['type'] =
          flag === '0' || flag === '\0' || flag === '7' ? 'file'
          : flag === '5' ? 'dir' : flag === '2' ? 'symlink' : flag === '1' ? 'hardlink' : 'other';
        const name = cleanName(raw);
        // Unsafe names are indexed under nothing: a manifest can never reach them.
        if (name !== undefined && name !== '') idx.entries.set(name, { name, type, offset: dataOff, size: realSize, linkname });
        off = dataOff + Math.ceil(realSize / BLOCK) * BLOCK;
      }
      if (!sawEnd && off < total) bad(label, 'the archive is truncated');
      if (idx.entries.size === 0) bad(label, total === 0 ? 'the file is empty' : 'not a tar archive');
    } finally {
      closeSync(fd);
    }
    return idx;
  }

  has(name: string): boolean {
    return this.lookup(name) !== undefined;
  }

  /** The regular-file entry for a name, following symlinks/hardlinks inside the archive. */
  lookup(name: string, depth = 0): ArchiveEntry | undefined {
    const n = cleanName(name);
    if (n === undefined || depth > 16) return undefined;
    const e = this.entries.get(n);
    if (!e) return undefined;
    if (e.type === 'file') return e;
    if (e.type === 'hardlink') return this.lookup(e.linkname, depth + 1);
    if (e.type === 'symlink') {
      const target = e.linkname.startsWith('/') ? e.linkname : posix.join(posix.dirname(n), e.linkname);
      return this.lookup(target, depth + 1);
    }
    return undefined;
  }

  /** The entry or a clear error naming what the manifest pointed at. */
  require(name: string, what: string): ArchiveEntry {
    const e = this.lookup(name);
    if (!e) bad(this.label, `${what} "${name}" is missing from the archive`);
    return e;
  }

  read(e: ArchiveEntry): Buffer {
    if (e.size > 64 << 20) bad(this.label, `"${e.name}" is too large for a metadata file`);
    const fd = openSync(this.path, 'r');
    try {
      const b = Buffer.alloc(e.size);
      let got = 0;
      while (got < e.size) {
        const n = readSync(fd, b, got, e.size - got, e.offset + got);
        if (n === 0) bad(this.label, 'the archive is truncated');
        got += n;
      }
      return b;
    } finally {
      closeSync(fd);
    }
  }

  readJSON<T>(e: ArchiveEntry): T {
    try {
      return JSON.parse(this.read(e).toString('utf8')) as T;
    } catch (err) {
      if (err instanceof InvalidArgumentError) throw err;
      bad(this.label, `"${e.name}" is not valid JSON`);
    }
  }

  stream(e: ArchiveEntry): ReadStream {
    if (e.size === 0) return createReadStream(this.path, { start: 1, end: 0 });
    return createReadStream(this.path, { start: e.offset, end: e.offset + e.size - 1 });
  }
}

/** First bytes of a file: used to tell gzip from tar. */
export function sniff(path: string, n = 4): Buffer {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(n);
    const got = readSync(fd, b, 0, n, 0);
    return b.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

export function isGzip(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

export function isZstd(head: Buffer): boolean {
  return head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528;
}

/**
 * Make `src` (a path or a stream such as stdin) available as a plain tar file. Returns the path
 * and a cleanup for any temp file made. Temp files live in `tmpDir` so `system check` can find
 * strays after a crash.
 */
export async function plainTarFile(src: string | Readable, tmpPath: () => string, label: string): Promise<{ path: string; cleanup: () => void }> {
  let path: string;
  const temps: string[] = [];
  const cleanup = (): void => { for (const t of temps) rmSync(t, { force: true }); };
  try {
    if (typeof src === 'string') {
      path = src;
    } else {
      path = tmpPath();
      temps.push(path);
      await pipeline(src, createWriteStream(path));
    }
    const head = sniff(path);
    if (isGzip(head)) {
      const out = tmpPath();
      temps.push(out);
      try {
        await pipeline(createReadStream(path), createGunzip(), createWriteStream(out));
      } catch {
        bad(label, 'the gzip stream is corrupt or truncated');
      }
      path = out;
    } else if (isZstd(head)) {
      bad(label, 'zstd-compressed archives are not supported; decompress it first (zstd -d)');
    }
    return { path, cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}
