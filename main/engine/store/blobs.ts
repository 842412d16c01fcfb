import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, openSync, fsyncSync, closeSync, createReadStream, writeSync, type ReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { randomHex } from '../util/ids.js';
import type { StorePaths } from './paths.js';
import { type Digest, digestMismatch, hexOf, isDigest, sha256 } from '../util/digest.js';
import { fsyncDir } from '../util/atomic.js';
import { EngineError, ErrorCode } from '../model/errors.js';

export interface BlobInfo {
  digest: Digest;
  size: number;
}

/**
 * Content-addressed blobs in the OCI layout (oci/blobs/sha256/<hex>). A blob appears under its
 * name only after it was written to a temp file, fsynced and its digest checked, so a crash
 * leaves at worst a stray temp file (which `system check` removes), never a wrong blob.
 */
export class BlobStore {
  constructor(private readonly paths: StorePaths) {
    mkdirSync(paths.blobsDir, { recursive: true });
  }

  path(digest: string): string {
    if (!isDigest(digest)) throw new EngineError(ErrorCode.INVALID, `invalid digest "${digest}"`);
    return this.paths.blob(hexOf(digest));
  }

  has(digest: string): boolean {
    return isDigest(digest) && existsSync(this.paths.blob(hexOf(digest)));
  }

  size(digest: string): number {
    return statSync(this.path(digest)).size;
  }

  read(digest: string): Buffer {
    return readFileSync(this.path(digest));
  }

  readJSON<T>(digest: string): T {
    return JSON.parse(this.read(digest).toString('utf8')) as T;
  }

  stream(digest: string): ReadStream {
    return createReadStream(this.path(digest));
  }

  tempPath(): string {
    mkdirSync(this.paths.tmp, { recursive: true });
    return join(this.paths.tmp, `blob-${process.pid}-${randomHex(6)}`);
  }

  putBuffer(data: Uint8Array | string, expected?: string): BlobInfo {
    const buf = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
    const digest = sha256(buf);
    if (expected && expected !== digest) {
      throw new EngineError(ErrorCode.INVALID, digestMismatch('blob', digest, expected));
    }
    if (!this.has(digest)) {
      const tmp = this.tempPath();
      const fd = openSync(tmp, 'w', 0o644);
      try {
        let off = 0;
        while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      this.commitTemp(tmp, digest);
    }
    return { digest, size: buf.length };
  }

  /** Stream into the store, hashing on the way; verifies `expected` before the blob is visible. */
  async putStream(src: Readable, expected?: string): Promise<BlobInfo> {
    const tmp = this.tempPath();
    const hash = createHash('sha256');
    let size = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    });
    const out = createWriteStream(tmp, { mode: 0o644 });
    try {
      await pipeline(src, tap, out);
      const fd = openSync(tmp, 'r');
      fsyncSync(fd);
      closeSync(fd);
    } catch (e) {
      // A source that fails before the file is even open leaves the open in flight: wait for
      // the stream to close, or the late open re-creates the temp file after we removed it.
      if (!out.closed) await new Promise<void>((r) => out.once('close', () => r()));
      rmSync(tmp, { force: true });
      throw e;
    }
    const digest: Digest = `sha256:${hash.digest('hex')}`;
    if (expected && expected !== digest) {
      rmSync(tmp, { force: true });
      throw new EngineError(ErrorCode.INVALID, digestMismatch('blob', digest, expected));
    }
    this.commitTemp(tmp, digest);
    return { digest, size };
  }

  /** Move an already-fsynced temp file whose digest the caller computed into place. */
  commitTemp(tmp: string, digest: Digest): void {
    const dest = this.paths.blob(hexOf(digest));
    if (existsSync(dest)) {
      rmSync(tmp, { force: true });
      return;
    }
    renameSync(tmp, dest);
    fsyncDir(this.paths.blobsDir);
  }

  delete(digest: string): void {
    rmSync(this.path(digest), { force: true });
  }
}
