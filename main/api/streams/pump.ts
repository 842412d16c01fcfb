import type { Writable } from 'node:stream';
import type { LogChunk } from '../../engine/index.js';
import { StreamWriter, STDERR, STDOUT } from './stdcopy.js';

/**
 * Copies container output chunks to a client: multiplexed without a TTY, raw with one. Returns
 * when the source ends or the client has gone (then the source is closed, which stops it).
 */
export async function pumpChunks(source: AsyncIterable<LogChunk>, out: Writable, tty: boolean): Promise<void> {
  const w = new StreamWriter(out, tty);
  const it = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      if (out.destroyed) return;
      const n = await it.next();
      if (n.done) return;
      await w.write(n.value.stream === 'stderr' ? STDERR : STDOUT, n.value.data);
    }
  } finally {
    await it.return?.(undefined);
  }
}
