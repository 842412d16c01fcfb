import { PassThrough, Transform, type Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import { SlipwayError } from '../errors.js';
import type { Digest } from '../util/digest.js';

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
      if (n > expected) return cb(new SlipwayError(`${what} is larger than the ${expected} bytes its manifest says`));
      onBytes?.(chunk.length);
      cb(null, chunk);
    },
    flush(cb) {
      if (n < expected) return cb(new SlipwayError(`${what} was truncated: got ${n} of ${expected} bytes`));
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
          gunzip = zlib.createGunzip();
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
