import type { Writable } from 'node:stream';
import { once } from 'node:events';

/** docker's stream ids in the multiplexed framing (stdcopy). */
export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
/** API >= 1.42 "systemerr"; unused at 1.41, kept for the shape */
export const SYSTEMERR = 3;

/** One frame: [stream, 0, 0, 0, size as big-endian uint32] then the payload. */
export function frame(stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

/** Frames are at most this big: large chunks are split so a reader's buffer stays bounded. */
const MAX_FRAME = 32 * 1024;

/**
 * Writes container output to a client: framed (8-byte headers) without a TTY, raw with one,
 * as dockerd does. Each write waits for the client to take the previous one (backpressure per
 * connection), so one slow client holds only its own stream.
 */
export class StreamWriter {
  constructor(
    private readonly out: Writable,
    private readonly raw: boolean,
  ) {}

  async write(stream: number, chunk: Buffer): Promise<void> {
    for (let off = 0; off < chunk.length; off += MAX_FRAME) {
      const part = chunk.subarray(off, off + MAX_FRAME);
      if (this.out.destroyed) return;
      if (!this.out.write(this.raw ? part : frame(stream, part))) await drained(this.out);
    }
  }
}

/** Resolves when `w` drains, or closes / fails (the caller checks `destroyed`). */
export async function drained(w: Writable): Promise<void> {
  if (w.destroyed || !w.writableNeedDrain) return;
  const ac = new AbortController();
  await Promise.race([once(w, 'drain', { signal: ac.signal }), once(w, 'close', { signal: ac.signal })]).catch(() => {});
  ac.abort();
}

/** Splits docker's multiplexed framing back into (stream, payload) pairs: the client side, for tests and proxies. */
export class FrameReader {
  private buf = Buffer.alloc(0);

  push(chunk: Buffer): Array<{ stream: number; data: Buffer }> {
    this.buf = Buffer.concat([this.buf, chunk]);
    const out: Array<{ stream: number; data: Buffer }> = [];
    while (this.buf.length >= 8) {
      const size = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + size) break;
      out.push({ stream: this.buf[0]!, data: this.buf.subarray(8, 8 + size) });
      this.buf = this.buf.subarray(8 + size);
    }
    return out;
  }
}
