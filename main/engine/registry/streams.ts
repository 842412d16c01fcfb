import { PassThrough, Transform, type Readable } from 'node:stream';
import { createWriteStream, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { BlobStore, BlobInfo } from '../store/blobs.js';
import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import { EngineError, ErrorCode } from '../model/errors.js';
import { digestMismatch, type Digest } from '../util/digest.js';

/**
 * Split one stream into two consumers with shared backpressure (the slower one sets the pace,
 * nothing is buffered beyond the stream high-water marks). An error on the source destroys
 * `a` with it; `b` just ends early, because some readers (gunzip behind .pipe()) never hear of
 * an error upstream and would wait forever, while a short stream is an error they do report.
 */
export function tee(src: Readable): [PassThrough, PassThrough] {
  const a = new PassThrough({ highWaterMark: 1 << 20 });
  const b = new PassThrough({ highWaterMark: 1 << 20 });
  src.on('error', (e) => {
    a.destroy(e);
    src.unpipe(b);
    b.end();
  });
  src.pipe(a);
  src.pipe(b);
  return [a, b];
}

/**
 * Count bytes on their way through, refusing a stream longer than `expected` as soon as it
 * overflows and shorter than `expected` at its end (a truncated blob fails here, before any
 * digest is even compared).
 */
export function sizeGuard(expected: number, what: string, onBytes?: (n: number) => void): Transform {
  let n = 0;
  return new Transform({
    highWaterMark: 1 << 20,
    transform(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      if (n > expected) return cb(new EngineError(ErrorCode.INVALID, `${what} is larger than the ${expected} bytes its manifest says`));
      onBytes?.(chunk.length);
      cb(null, chunk);
    },
    flush(cb) {
      if (n < expected) return cb(new EngineError(ErrorCode.INVALID, `${what} was truncated: got ${n} of ${expected} bytes`, { transient: true }));
      cb();
    },
  });
}

/** Decompress if gzip (by magic), then hash: the diffID and size of a layer without unpacking it. */
export async function measureLayer(src: Readable): Promise<{ diffId: Digest; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  let gunzip: zlib.Gunzip | undefined;
  let decided = false;
  await new Promise<void>((resolve, reject) => {
    const feed = (c: Buffer): void => {
      hash.update(c);
      size += c.length;
    };
    src.on('error', reject);
    src.on('data', (c: Buffer) => {
      if (!decided) {
        decided = true;
        if (c[0] === 0x1f && c[1] === 0x8b) {
          gunzip = gunzipFast();
          gunzip.on('data', feed);
          gunzip.on('error', reject);
          gunzip.on('end', resolve);
        }
      }
      if (gunzip) {
        if (!gunzip.write(c)) {
          src.pause();
          gunzip.once('drain', () => src.resume());
        }
      } else feed(c);
    });
    src.on('end', () => {
      if (gunzip) gunzip.end();
      else resolve();
    });
  });
  return { diffId: `sha256:${hash.digest('hex')}`, size };
}

/** Node 22.15+ has zstd in zlib; Node 20 does not. */
export function zstdDecompressor(): Transform | undefined {
  const make = (zlib as unknown as { createZstdDecompress?: () => Transform }).createZstdDecompress;
  return make ? make() : undefined;
}

/** gunzip with 256 KiB output chunks: the 16 KiB default spends most of its time in thread-pool hand-offs. */
export function gunzipFast(): zlib.Gunzip {
  return zlib.createGunzip({ chunkSize: 256 * 1024 });
}

/**
 * BlobStore.putStream's contract (temp file, fsync, digest check, then rename into place) with
 * the fsync done off the main thread: a pull writes several layers at once, and a blocking
 * fsync of one stalls the downloads and unpacking of all the others.
 */
export async function storeBlob(blobs: BlobStore, src: Readable, expected: string): Promise<BlobInfo> {
  const tmp = blobs.tempPath();
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    highWaterMark: 1 << 20,
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  const out = createWriteStream(tmp, { mode: 0o644, highWaterMark: 1 << 20 });
  try {
    await pipeline(src, tap, out);
    const fh = await open(tmp, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (e) {
    // as putStream: a source that fails before the file is open leaves the open in flight, and
    // a late open would make the temp file again after it was removed
    if (!out.closed) await new Promise<void>((r) => out.once('close', () => r()));
    rmSync(tmp, { force: true });
    throw e;
  }
  const digest: Digest = `sha256:${hash.digest('hex')}`;
  if (digest !== expected) {
    rmSync(tmp, { force: true });
    throw new EngineError(ErrorCode.INVALID, digestMismatch('downloaded blob', digest, expected));
  }
  blobs.commitTemp(tmp, digest);
  return { digest, size };
}
