// The CLI's standard output. Its own module, without the engine, so that `--version` can use it.
import { writeSync } from 'node:fs';

/**
 * A reader that went away (`slipway ps | head -1`) ends the command quietly, as a docker CLI
 * killed by SIGPIPE does, with the status a shell shows for that (128 + 13).
 */
function readerGone(): never {
  process.exit(141);
}

let viaStream = false;

/**
 * Whole output, written to fd 1 directly. The first touch of process.stdout makes Node build a
 * stream for it (for a file, a pipe or a tty alike it loads the stream modules: 2-6 ms of an
 * 80 ms command). Node writes fd 1 synchronously on Linux either way, so mixing the two keeps
 * the order. A non-blocking fd that is full (EAGAIN) hands the rest to the stream.
 */
export function writeOut(text: string): void {
  if (viaStream) return void stdout().write(text);
  const buf = Buffer.from(text);
  let off = 0;
  try {
    while (off < buf.length) off += writeSync(1, buf, off);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EPIPE') readerGone();
    if (code !== 'EAGAIN') throw e;
    viaStream = true;
    stdout().write(buf.subarray(off));
  }
}

let guarded = false;

/** process.stdout for output that streams (logs -f, attach, save): a reader that goes away ends the command quietly. */
export function stdout(): NodeJS.WriteStream {
  if (!guarded) {
    guarded = true;
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') readerGone();
      throw e;
    });
  }
  return process.stdout;
}
