/**
 * The bits of the tar format we write ourselves: ustar headers plus PAX extended headers.
 * tar-stream's packer encodes PAX values as UTF-8 strings, which corrupts binary xattrs such
 * as security.capability, and its parser decodes them the same way; layers must carry them
 * byte for byte, so both directions of PAX live here.
 */

export type TarType = 'file' | 'link' | 'symlink' | 'character-device' | 'block-device' | 'directory' | 'fifo';

export interface TarHeader {
  /** relative path without a leading "./"; directories get their trailing "/" added here */
  name: string;
  type: TarType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** seconds since the epoch (integer) */
  mtime: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Map<string, Buffer>;
}

const TYPEFLAG: Record<TarType, number> = {
  file: 0x30,
  link: 0x31,
  symlink: 0x32,
  'character-device': 0x33,
  'block-device': 0x34,
  directory: 0x35,
  fifo: 0x36,
};

const MAX_OCTAL_7 = 0o7777777;
const MAX_OCTAL_11 = 0o77777777777;
export const BLOCK = 512;
export const END_OF_ARCHIVE = Buffer.alloc(BLOCK * 2);

/** Zero bytes that pad `size` bytes of data up to a whole block. */
export function padding(size: number): Buffer | null {
  const r = size % BLOCK;
  return r === 0 ? null : ZEROS.subarray(0, BLOCK - r);
}
const ZEROS = Buffer.alloc(BLOCK);

function octal(buf: Buffer, off: number, len: number, v: number): void {
  // NUL-terminated, zero-padded octal: what GNU tar and Go's archive/tar write.
  buf.write(v.toString(8).padStart(len - 1, '0'), off, len - 1, 'ascii');
  buf[off + len - 1] = 0;
}

function record(key: string, value: Buffer): Buffer {
  // "<len> <key>=<value>\n" where len counts itself.
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

/** Split a name into ustar's prefix (155) + name (100) fields, or null when it cannot fit. */
function splitUstar(name: Buffer): { prefix: Buffer; name: Buffer } | null {
  if (name.length <= 100) return { prefix: Buffer.alloc(0), name };
  for (let i = Math.min(name.length - 1, 155); i > 0; i--) {
    if (name[i] === 0x2f && name.length - i - 1 <= 100 && name.length - i - 1 > 0) {
      return { prefix: name.subarray(0, i), name: name.subarray(i + 1) };
    }
  }
  return null;
}

function ustar(h: TarHeader, name: Buffer, typeflag: number, size: number): Buffer {
  const b = Buffer.alloc(BLOCK);
  const split = splitUstar(name) ?? { prefix: Buffer.alloc(0), name: name.subarray(0, 100) };
  split.name.copy(b, 0);
  octal(b, 100, 8, h.mode & 0o7777);
  octal(b, 108, 8, Math.min(h.uid, MAX_OCTAL_7));
  octal(b, 116, 8, Math.min(h.gid, MAX_OCTAL_7));
  octal(b, 124, 12, Math.min(size, MAX_OCTAL_11));
  octal(b, 136, 12, Math.min(Math.max(0, Math.floor(h.mtime)), MAX_OCTAL_11));
  b.fill(0x20, 148, 156);
  b[156] = typeflag;
  if (h.linkname) Buffer.from(h.linkname).subarray(0, 100).copy(b, 157);
  b.write('ustar\x0000', 257, 'binary');
  octal(b, 329, 8, h.devmajor ?? 0);
  octal(b, 337, 8, h.devminor ?? 0);
  split.prefix.copy(b, 345);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i]!;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return b;
}

/**
 * The header block(s) for one entry: a PAX 'x' header first when something does not fit
 * ustar (long names or link targets, big ids or sizes, xattrs), then the ustar header.
 */
export function encodeHeader(h: TarHeader): Buffer {
  const nameStr = h.type === 'directory' && !h.name.endsWith('/') ? `${h.name}/` : h.name;
  const name = Buffer.from(nameStr);
  const recs: Buffer[] = [];
  if (!splitUstar(name)) recs.push(record('path', name));
  if (h.linkname && Buffer.byteLength(h.linkname) > 100) recs.push(record('linkpath', Buffer.from(h.linkname)));
  if (h.uid > MAX_OCTAL_7) recs.push(record('uid', Buffer.from(String(h.uid))));
  if (h.gid > MAX_OCTAL_7) recs.push(record('gid', Buffer.from(String(h.gid))));
  if (h.size > MAX_OCTAL_11) recs.push(record('size', Buffer.from(String(h.size))));
  if (h.xattrs) {
    for (const [k, v] of [...h.xattrs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) recs.push(record(`SCHILY.xattr.${k}`, v));
  }
  const main = ustar(h, name, TYPEFLAG[h.type], h.size);
  if (recs.length === 0) return main;
  const pax = Buffer.concat(recs);
  const base = nameStr.replace(/\/$/, '').split('/').pop() ?? 'entry';
  const paxName = Buffer.from(`PaxHeaders.0/${base}`.slice(0, 100));
  const paxHdr = ustar({ ...h, linkname: undefined, xattrs: undefined, mode: 0o644 }, paxName, 0x78, pax.length);
  const pad = padding(pax.length);
  return Buffer.concat(pad ? [paxHdr, pax, pad, main] : [paxHdr, pax, main]);
}

/**
 * PAX records, byte-exact: `SCHILY.xattr.*` values stay Buffers (binary), every other value
 * is decoded as UTF-8 as POSIX says. Used in place of tar-stream's decoder, which turns
 * binary xattr values into U+FFFD.
 */
export function decodePax(buf: Buffer): Record<string, string | Buffer> {
  const out: Record<string, string | Buffer> = {};
  let off = 0;
  while (off < buf.length) {
    const sp = buf.indexOf(0x20, off);
    if (sp < 0) break;
    const len = parseInt(buf.toString('ascii', off, sp), 10);
    if (!(len > 0) || off + len > buf.length) break;
    const rec = buf.subarray(sp + 1, off + len - 1); // without the trailing newline
    const eq = rec.indexOf(0x3d);
    if (eq < 0) break;
    const key = rec.toString('utf8', 0, eq);
    const value = rec.subarray(eq + 1);
    out[key] = key.startsWith('SCHILY.xattr.') ? Buffer.from(value) : value.toString('utf8');
    off += len;
  }
  return out;
}
