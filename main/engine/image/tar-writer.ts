import type { Writable, Readable } from 'node:stream';
import { once } from 'node:events';
import { InvalidArgumentError } from '../model/errors.js';

/**
 * A minimal ustar writer for image archives and generated layers: regular files, dirs and
 * symlinks with fixed owner and mtime, long names via PAX. Writing ourselves keeps backpressure
 * plain Node streams and the bytes reproducible (same input, same archive digest).
 */
export interface TarHeader {
  name: string;
  type?: 'file' | 'dir' | 'symlink' | 'pax';
  size?: number;
  mode?: number;
  mtime?: number; // seconds
  linkname?: string;
  uid?: number;
  gid?: number;
}

const BLOCK = 512;

function field(buf: Buffer, off: number, len: number, s: string): void {
  buf.write(s, off, Math.min(len, Buffer.byteLength(s)), 'utf8');
}

function oct(buf: Buffer, off: number, len: number, n: number): void {
  field(buf, off, len, `${n.toString(8).padStart(len - 1, '0')}\0`);
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = body.length + 1;
  while (`${len}${body}`.length !== len) len = `${len}${body}`.length;
  return `${len}${body}`;
}

export function tarHeader(h: TarHeader): Buffer {
  const type = h.type ?? 'file';
  let name = type === 'dir' && !h.name.endsWith('/') ? `${h.name}/` : h.name;
  const pax: string[] = [];
  if (Buffer.byteLength(name) > 100) pax.push(paxRecord('path', name));
  if (h.linkname && Buffer.byteLength(h.linkname) > 100) pax.push(paxRecord('linkpath', h.linkname));
  const out: Buffer[] = [];
  if (pax.length) {
    const data = Buffer.from(pax.join(''));
    out.push(tarHeader({ name: 'PaxHeaders/entry', type: 'pax', size: data.length, mode: 0o644, mtime: h.mtime }), data, Buffer.alloc(pad(data.length)));
    name = name.slice(0, 99);
  }
  const b = Buffer.alloc(BLOCK);
  field(b, 0, 100, name);
  oct(b, 100, 8, h.mode ?? (type === 'dir' ? 0o755 : 0o644));
  oct(b, 108, 8, h.uid ?? 0);
  oct(b, 116, 8, h.gid ?? 0);
  oct(b, 124, 12, type === 'file' || type === 'pax' ? h.size ?? 0 : 0);
  oct(b, 136, 12, h.mtime ?? 0);
  b.fill(0x20, 148, 156);
  b[156] = type === 'dir' ? 0x35 : type === 'symlink' ? 0x32 : type === 'pax' ? 0x78 : 0x30;
  if (h.linkname) field(b, 157, 100, h.linkname.slice(0, 100));
  field(b, 257, 6, 'ustar\0');
  field(b, 263, 2, '00');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i]!;
  field(b, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  out.push(b);
  return Buffer.concat(out);
}

export function pad(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

export class TarWriter {
  constructor(private readonly out: Writable) {}

  private async write(b: Buffer): Promise<void> {
    // events.once rejects if the stream errors while we wait
    if (!this.out.write(b)) await once(this.out, 'drain');
  }

  async entry(h: TarHeader, data?: Buffer | Readable): Promise<void> {
    const size = Buffer.isBuffer(data) ? data.length : h.size ?? 0;
    await this.write(tarHeader({ ...h, size }));
    if (!data) return;
    if (Buffer.isBuffer(data)) {
      await this.write(data);
    } else {
      let n = 0;
      for await (const chunk of data) {
        const c = chunk as Buffer;
        n += c.length;
        if (n > size) throw new InvalidArgumentError(`"${h.name}" is larger than its recorded size ${size}`);
        await this.write(c);
      }
      if (n !== size) throw new InvalidArgumentError(`"${h.name}" is ${n} bytes, its recorded size is ${size}: the store content is damaged (run slipway system check)`);
    }
    const p = pad(size);
    if (p) await this.write(Buffer.alloc(p));
  }

  async finish(): Promise<void> {
    await this.write(Buffer.alloc(BLOCK * 2));
  }
}
