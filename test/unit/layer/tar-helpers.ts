import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import tar from 'tar-stream';

export interface TestEntry {
  name: string;
  type?: tar.Header['type'];
  body?: string;
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  devmajor?: number;
  devminor?: number;
  pax?: Record<string, string>;
}

/** A tar built in memory with tar-stream (an independent writer, not ours). */
export async function makeTar(entries: TestEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c: Buffer) => chunks.push(c));
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  for (const e of entries) {
    const type = e.type ?? 'file';
    const header: tar.Header = {
      name: e.name,
      type,
      mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644),
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      mtime: e.mtime ?? new Date(1_600_000_000_000),
      linkname: e.linkname,
      devmajor: e.devmajor,
      devminor: e.devminor,
      pax: e.pax,
    };
    await new Promise<void>((resolve, reject) => pack.entry(header, type === 'file' ? (e.body ?? '') : undefined, (err) => (err ? reject(err) : resolve())));
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export function sha256hex(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

export async function collect(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export interface ListedEntry {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  size: number;
  linkname: string | null;
  devmajor: number;
  devminor: number;
  xattrs: Record<string, string>;
  body?: string;
}

/** Every entry of a tar as read by tar-stream (the independent reader). */
export async function listTar(buf: Buffer, withBodies = false): Promise<ListedEntry[]> {
  const out: ListedEntry[] = [];
  const ex = tar.extract();
  const done = (async () => {
    for await (const entry of ex) {
      const h = entry.header;
      const xattrs: Record<string, string> = {};
      for (const [k, v] of Object.entries(h.pax ?? {})) if (k.startsWith('SCHILY.xattr.')) xattrs[k.slice(13)] = String(v);
      const body = await text(entry);
      out.push({
        name: h.name, type: h.type ?? '?', mode: h.mode ?? 0, uid: h.uid ?? 0, gid: h.gid ?? 0,
        mtime: Math.floor((h.mtime?.getTime() ?? 0) / 1000), size: h.size ?? 0, linkname: h.linkname ?? null,
        devmajor: h.devmajor ?? 0, devminor: h.devminor ?? 0, xattrs, ...(withBodies ? { body } : {}),
      });
    }
  })();
  ex.end(buf);
  await done;
  return out;
}

export function bufferStream(b: Buffer): Readable {
  // Small chunks, so header and body boundaries fall mid-chunk as they do with real streams.
  const parts: Buffer[] = [];
  for (let i = 0; i < b.length; i += 777) parts.push(b.subarray(i, i + 777));
  return Readable.from(parts);
}
