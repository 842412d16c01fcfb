import { closeSync, createWriteStream, existsSync, fsyncSync, openSync, renameSync, writeSync, rmSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { randomHex } from './ids.js';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { NotFoundError } from '../model/errors.js';

/** fsync a directory so a rename inside it survives a crash. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export function tempSibling(path: string): string {
  return join(dirname(path), `.tmp-${basename(path)}-${process.pid}-${randomHex(4)}`);
}

/** Write a file so that readers see either the old or the new content, never a torn one. */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): void {
  const tmp = tempSibling(path);
  const fd = openSync(tmp, 'w', mode);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
  fsyncDir(dirname(path));
}

/**
 * `-o FILE` for archives (save, export): `write` streams into a temp file beside `dest`,
 * which is fsynced and renamed over it only when all went well, so a failed or interrupted
 * write never leaves a torn archive under the name the user asked for.
 */
export async function writeStreamAtomic(dest: string, write: (out: Writable) => Promise<void>): Promise<void> {
  if (!existsSync(dirname(dest))) throw new NotFoundError(`open ${dest}: no such file or directory (the directory ${dirname(dest)} does not exist)`);
  const tmp = join(dirname(dest), `.${basename(dest)}.tmp-${process.pid}-${randomHex(4)}`);
  const out = createWriteStream(tmp, { mode: 0o644 });
  try {
    await write(out);
    out.end();
    await finished(out);
    const fd = openSync(tmp, 'r');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, dest);
    fsyncDir(dirname(dest));
  } catch (e) {
    out.destroy();
    rmSync(tmp, { force: true });
    throw e;
  }
}
