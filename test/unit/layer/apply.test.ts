import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, chownSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, utimesSync, lutimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { tempRoot } from '../../helpers/tmp-store.js';
import { applyLayer } from '../../../main/engine/layer/apply.js';
import { packUpperDir } from '../../../main/engine/layer/diff.js';
import { lgetxattr, lsetxattr, mknod, S_IFBLK, S_IFCHR, S_IFIFO } from '../../../main/engine/util/native.js';
import { bufferStream, collect, listTar, makeTar, sha256hex } from './tar-helpers.js';

const T = 1_500_000_000; // a fixed mtime, seconds
const BINARY_XATTR = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x80, 0xff, 0x00, 0xc3, 0x28]); // not UTF-8

let tmp: { root: string; cleanup: () => void };
beforeAll(() => {
  tmp = tempRoot('slipway-layer-apply-');
});
afterAll(() => tmp.cleanup());

let n = 0;
function dir(name: string): string {
  const d = join(tmp.root, `${name}-${n++}`);
  mkdirSync(d, { mode: 0o755 });
  return d;
}

/** A tree with one of everything a layer can hold, with owners, modes, times and xattrs set. */
function buildSource(): string {
  const src = dir('src');
  mkdirSync(join(src, 'etc'));
  writeFileSync(join(src, 'etc', 'passwd'), 'root:x:0:0\n');
  writeFileSync(join(src, 'etc', 'shadow'), 'secret\n');
  chmodSync(join(src, 'etc', 'shadow'), 0o640);
  chownSync(join(src, 'etc', 'shadow'), 0, 42);
  mkdirSync(join(src, 'bin'));
  writeFileSync(join(src, 'bin', 'su'), '#!/bin/sh\n');
  chownSync(join(src, 'bin', 'su'), 0, 0);
  chmodSync(join(src, 'bin', 'su'), 0o4755);
  linkSync(join(src, 'bin', 'su'), join(src, 'bin', 'su-hardlink'));
  symlinkSync('/bin/su', join(src, 'bin', 'abs-link'));
  symlinkSync('../etc/passwd', join(src, 'bin', 'rel-link'));
  mkdirSync(join(src, 'tmp'));
  chmodSync(join(src, 'tmp'), 0o1777);
  mkdirSync(join(src, 'home', 'user'), { recursive: true });
  writeFileSync(join(src, 'home', 'user', 'notes'), 'x'.repeat(3000));
  chownSync(join(src, 'home', 'user', 'notes'), 1234, 5678);
  chownSync(join(src, 'home', 'user'), 1234, 5678);
  chmodSync(join(src, 'home', 'user'), 0o700);
  lsetxattr(join(src, 'home', 'user', 'notes'), 'user.comment', Buffer.from('hello'));
  lsetxattr(join(src, 'home', 'user', 'notes'), 'trusted.binary', BINARY_XATTR);
  mkdirSync(join(src, 'dev'));
  mknod(join(src, 'dev', 'null'), S_IFCHR | 0o666, 1, 3);
  chmodSync(join(src, 'dev', 'null'), 0o666); // mknod's mode passes through the umask
  mknod(join(src, 'dev', 'loop0'), S_IFBLK | 0o660, 7, 0);
  mknod(join(src, 'dev', 'pipe'), S_IFIFO | 0o600, 0, 0);
  writeFileSync(join(src, 'big'), Buffer.alloc(2_500_000, 7)); // several read chunks
  writeFileSync(join(src, 'empty'), '');
  const long = join(src, 'a'.repeat(80), 'b'.repeat(80));
  mkdirSync(long, { recursive: true });
  writeFileSync(join(long, 'c'.repeat(120)), 'long name');
  // overlay-upper specifics: a whiteout and an opaque dir
  mknod(join(src, 'etc', 'gone'), S_IFCHR, 0, 0);
  mkdirSync(join(src, 'var'));
  lsetxattr(join(src, 'var'), 'trusted.overlay.opaque', Buffer.from('y'));
  writeFileSync(join(src, 'var', 'fresh'), 'new');
  setTimes(src);
  return src;
}

function setTimes(root: string): void {
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      lutimesSync(p, T, T);
    }
  };
  walk(root);
  utimesSync(root, T, T);
}

describe('applyLayer', () => {
  it('round-trips every entry type through pack -> apply -> pack byte for byte', async () => {
    const src = buildSource();
    const tar1 = await collect(packUpperDir(src));
    const dest = dir('dest');
    const r = await applyLayer(bufferStream(tar1), dest);
    expect(r.diffId).toBe(sha256hex(tar1));
    expect(r.size).toBe(tar1.length);
    const tar2 = await collect(packUpperDir(dest));
    expect(sha256hex(tar2)).toBe(sha256hex(tar1));

    // and what the independent reader sees is what we put in
    const entries = await listTar(tar1);
    const by = new Map(entries.map((e) => [e.name, e]));
    expect(by.get('bin/su')).toMatchObject({ type: 'file', mode: 0o4755, uid: 0, gid: 0, mtime: T });
    expect(by.get('bin/su-hardlink')).toMatchObject({ type: 'link', linkname: 'bin/su' });
    expect(by.get('bin/abs-link')).toMatchObject({ type: 'symlink', linkname: '/bin/su' });
    expect(by.get('tmp/')).toMatchObject({ type: 'directory', mode: 0o1777 });
    expect(by.get('home/user/notes')).toMatchObject({ uid: 1234, gid: 5678, size: 3000 });
    expect(by.get('home/user/notes')!.xattrs['user.comment']).toBe('hello');
    expect(by.get('dev/null')).toMatchObject({ type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 });
    expect(by.get('dev/loop0')).toMatchObject({ type: 'block-device', devmajor: 7, devminor: 0 });
    expect(by.get('dev/pipe')).toMatchObject({ type: 'fifo' });
    expect(by.get('etc/.wh.gone')).toMatchObject({ type: 'file', size: 0 });
    expect(by.get('var/.wh..wh..opq')).toMatchObject({ type: 'file', size: 0 });
    expect(by.has(`${'a'.repeat(80)}/${'b'.repeat(80)}/${'c'.repeat(120)}`)).toBe(true);
    // overlay xattrs are layer structure, never content
    expect(Object.keys(by.get('var/')!.xattrs)).toEqual([]);
  });

  it('leaves the files, owners, modes, times, xattrs and devices on disk', async () => {
    const src = buildSource();
    const dest = dir('dest');
    await applyLayer(packUpperDir(src), dest);
    const su = lstatSync(join(dest, 'bin', 'su'));
    expect(su.mode & 0o7777).toBe(0o4755); // setuid survives the chown
    expect(su.mtimeMs).toBe(T * 1000);
    expect(lstatSync(join(dest, 'bin', 'su-hardlink')).ino).toBe(su.ino);
    expect(su.nlink).toBe(2);
    expect(readlinkSync(join(dest, 'bin', 'abs-link'))).toBe('/bin/su');
    expect(lstatSync(join(dest, 'bin', 'abs-link')).mtimeMs).toBe(T * 1000);
    expect(lstatSync(join(dest, 'tmp')).mode & 0o7777).toBe(0o1777);
    const home = lstatSync(join(dest, 'home', 'user'));
    expect([home.uid, home.gid, home.mode & 0o777, home.mtimeMs]).toEqual([1234, 5678, 0o700, T * 1000]);
    expect(lstatSync(join(dest, 'etc', 'shadow')).gid).toBe(42);
    expect(lgetxattr(join(dest, 'home', 'user', 'notes'), 'user.comment')?.toString()).toBe('hello');
    expect(lgetxattr(join(dest, 'home', 'user', 'notes'), 'trusted.binary')).toEqual(BINARY_XATTR);
    const nul = lstatSync(join(dest, 'dev', 'null'));
    expect(nul.isCharacterDevice() && nul.rdev).toBe((1 << 8) | 3);
    expect(lstatSync(join(dest, 'dev', 'loop0')).isBlockDevice()).toBe(true);
    expect(lstatSync(join(dest, 'dev', 'pipe')).isFIFO()).toBe(true);
    expect(readFileSync(join(dest, 'big')).equals(Buffer.alloc(2_500_000, 7))).toBe(true);
    // overlay form: the whiteout is a 0/0 char device, the opaque dir carries the xattr
    const wh = lstatSync(join(dest, 'etc', 'gone'));
    expect(wh.isCharacterDevice() && wh.rdev === 0).toBe(true);
    expect(lgetxattr(join(dest, 'var'), 'trusted.overlay.opaque')?.toString()).toBe('y');
    expect(existsSync(join(dest, 'etc', '.wh.gone'))).toBe(false);
    expect(existsSync(join(dest, 'var', '.wh..wh..opq'))).toBe(false);
  });

  it('reads gzip layers and reports the diffID of the uncompressed stream', async () => {
    const plain = await makeTar([{ name: 'hello.txt', body: 'hi there' }, { name: 'd/', type: 'directory' }]);
    const dest = dir('gz');
    const r = await applyLayer(bufferStream(gzipSync(plain)), dest);
    expect(r.diffId).toBe(sha256hex(plain));
    expect(r.size).toBe(plain.length);
    expect(readFileSync(join(dest, 'hello.txt'), 'utf8')).toBe('hi there');
  });

  it('refuses zstd layers with a message that says so', async () => {
    const zstdMagic = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(100)]);
    await expect(applyLayer(bufferStream(zstdMagic), dir('zst'))).rejects.toThrow(/zstd-compressed/);
  });

  it('says a truncated or garbage layer is not a valid tar', async () => {
    const plain = await makeTar([{ name: 'f', body: 'x'.repeat(5000) }]);
    await expect(applyLayer(bufferStream(plain.subarray(0, 2048)), dir('trunc'))).rejects.toThrow(/not a valid tar archive/);
    await expect(applyLayer(bufferStream(Buffer.from('{"not":"a tar"}'.repeat(40))), dir('junk'))).rejects.toThrow(/not a valid tar archive/);
  });

  it('replaces an existing entry of another type, as docker does', async () => {
    const dest = dir('replace');
    await applyLayer(bufferStream(await makeTar([
      { name: 'x', body: 'file' },
      { name: 'y/', type: 'directory' },
      { name: 'y/inner', body: 'in' },
      { name: 'z', type: 'symlink', linkname: '/nowhere' },
    ])), dest);
    await applyLayer(bufferStream(await makeTar([
      { name: 'x/', type: 'directory', mode: 0o711 },
      { name: 'x/child', body: 'c' },
      { name: 'y', body: 'now a file' },
      { name: 'z', body: 'no longer a link' },
    ])), dest);
    expect(lstatSync(join(dest, 'x')).isDirectory()).toBe(true);
    expect(lstatSync(join(dest, 'x')).mode & 0o777).toBe(0o711);
    expect(readFileSync(join(dest, 'x', 'child'), 'utf8')).toBe('c');
    expect(readFileSync(join(dest, 'y'), 'utf8')).toBe('now a file');
    expect(readFileSync(join(dest, 'z'), 'utf8')).toBe('no longer a link');
  });

  it('sets directory times after writing their children', async () => {
    const dest = dir('dirtimes');
    const mtime = new Date(1_000_000_000_000);
    await applyLayer(bufferStream(await makeTar([
      { name: 'd/', type: 'directory', mtime },
      { name: 'd/a', body: 'a' },
      { name: 'd/sub/', type: 'directory', mtime },
      { name: 'd/sub/b', body: 'b' },
    ])), dest);
    expect(lstatSync(join(dest, 'd')).mtimeMs).toBe(mtime.getTime());
    expect(lstatSync(join(dest, 'd', 'sub')).mtimeMs).toBe(mtime.getTime());
  });

  it('flatten mode: whiteouts delete, opaque dirs keep only this layer', async () => {
    const dest = dir('flat');
    await applyLayer(bufferStream(await makeTar([
      { name: 'keep', body: '1' },
      { name: 'drop', body: '1' },
      { name: 'tree/', type: 'directory' },
      { name: 'tree/deep/', type: 'directory' },
      { name: 'tree/deep/file', body: '1' },
      { name: 'opq/', type: 'directory' },
      { name: 'opq/old', body: 'old' },
      { name: 'opq/also-old', body: 'old' },
    ])), dest);
    await applyLayer(bufferStream(await makeTar([
      { name: '.wh.drop' },
      { name: '.wh.tree' },
      { name: 'opq/', type: 'directory' },
      { name: 'opq/new', body: 'new' },
      { name: 'opq/.wh..wh..opq' }, // after a same-layer child: that child must stay
    ])), dest, { mode: 'flatten' });
    expect(readdirSync(dest).sort()).toEqual(['keep', 'opq']);
    expect(readdirSync(join(dest, 'opq'))).toEqual(['new']);
  });
});

describe('applyLayer with a failing source', () => {
  it('fails (does not hang) when a gzip or plain download breaks off', async () => {
    const plain = await makeTar([{ name: 'big', body: 'z'.repeat(300_000) }, { name: 'after', body: 'a' }]);
    for (const bytes of [gzipSync(plain), plain]) {
      const broken = Readable.from((async function* () {
        yield bytes.subarray(0, Math.floor(bytes.length / 3));
        throw new Error('connection reset by peer');
      })());
      await expect(applyLayer(broken, dir('broken'))).rejects.toThrow(/connection reset by peer/);
    }
  });
});
