import { chmodSync, copyFileSync, lchownSync, lstatSync, lutimesSync, mkdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { packMerged } from '../layer/diff.js';
import { walkMerged } from '../layer/merged.js';
import { isRootless } from '../rootless/detect.js';
import { writeStreamAtomic } from '../util/atomic.js';
import type { BuildOutput } from './events.js';

/**
 * `build --output`: a stage's files instead of (or beside) an image, as BuildKit's local and
 * tar exporters write them. The merged tree is read from the snapshot dirs without mounting.
 */
export async function exportOutput(o: Exclude<BuildOutput, { type: 'image' }>, layersTopFirst: string[]): Promise<void> {
  if (o.type === 'tar') {
    const tar = packMerged(layersTopFirst, { rootless: isRootless() });
    if (o.stream) await pipeline(tar, o.stream as Writable, { end: false });
    else await writeStreamAtomic(o.dest!, (out) => pipeline(tar, out, { end: false }));
    return;
  }
  await exportLocal(layersTopFirst, o.dest);
}

/**
 * Files into `dest` (made if missing; what is there already stays unless a file of the same
 * name replaces it). Owners are kept when we may set them (root outside a user namespace),
 * as BuildKit's client does; directory modes and times are set last, deepest first.
 */
async function exportLocal(layersTopFirst: string[], dest: string): Promise<void> {
  mkdirSync(dest, { recursive: true });
  const chown = process.getuid?.() === 0 && !isRootless();
  const dirs: [string, number, number][] = [];
  for await (const e of walkMerged(layersTopFirst, { rootless: isRootless() })) {
    const to = join(dest, e.rel);
    const st = e.st;
    let existing;
    try {
      existing = lstatSync(to);
    } catch {
      existing = undefined;
    }
    if (existing && !(existing.isDirectory() && st.isDirectory())) rmSync(to, { recursive: true, force: true });
    if (st.isDirectory()) {
      if (!existing?.isDirectory()) mkdirSync(to);
      dirs.push([to, st.mode & 0o7777, st.mtimeMs / 1000]);
    } else if (st.isSymbolicLink()) {
      symlinkSync(readlinkSync(e.path), to);
    } else if (st.isFile()) {
      copyFileSync(e.path, to);
      chmodSync(to, st.mode & 0o7777);
    } else {
      continue; // device nodes, fifos, sockets: not files a client can be given
    }
    if (chown) lchownSync(to, st.uid, st.gid);
    if (!st.isDirectory()) lutimesSync(to, st.mtimeMs / 1000, st.mtimeMs / 1000);
  }
  for (const [d, mode, t] of dirs.reverse()) {
    chmodSync(d, mode);
    lutimesSync(d, t, t);
  }
}
