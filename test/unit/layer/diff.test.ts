import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync, lutimesSync } from 'node:fs';
import { join } from 'node:path';
import { tempRoot } from '../../helpers/tmp-store.js';
import { commitDirectory, commitUpperDir, packDirectory, packUpperDir } from '../../../main/engine/layer/diff.js';
import { BlobStore } from '../../../main/engine/store/blobs.js';
import { StorePaths } from '../../../main/engine/store/paths.js';
import { lsetxattr, mknod, S_IFCHR } from '../../../main/engine/util/native.js';
import { collect, listTar, sha256hex } from './tar-helpers.js';

let tmp: { root: string; cleanup: () => void };
let blobs: BlobStore;
beforeAll(() => {
  tmp = tempRoot('slipway-layer-diff-');
  blobs = new BlobStore(new StorePaths(join(tmp.root, 'store')));
});
afterAll(() => tmp.cleanup());

let n = 0;
function dir(): string {
  const d = join(tmp.root, `t-${n++}`);
  mkdirSync(d);
  return d;
}

describe('packUpperDir / commitUpperDir', () => {
  it('lists entries in path order, parents first, and is reproducible', async () => {
    const up = dir();
    for (const name of ['zeta', 'alpha', 'mid']) writeFileSync(join(up, name), name);
    mkdirSync(join(up, 'b', 'c'), { recursive: true });
    writeFileSync(join(up, 'b', 'c', 'f'), 'f');
    writeFileSync(join(up, 'b-file'), 'x');
    const a = await collect(packUpperDir(up));
    const b = await collect(packUpperDir(up));
    expect(sha256hex(a)).toBe(sha256hex(b));
    expect((await listTar(a)).map((e) => e.name)).toEqual(['alpha', 'b/', 'b/c/', 'b/c/f', 'b-file', 'mid', 'zeta']);
  });

  it('turns overlay markers into OCI whiteouts, and keeps hardlinks and xattrs', async () => {
    const up = dir();
    mkdirSync(join(up, 'etc'));
    mknod(join(up, 'etc', 'hosts'), S_IFCHR, 0, 0);
    mknod(join(up, 'etc', 'motd'), S_IFCHR, 0, 0);
    mkdirSync(join(up, 'var'));
    lsetxattr(join(up, 'var'), 'trusted.overlay.opaque', Buffer.from('y'));
    lsetxattr(join(up, 'var'), 'trusted.overlay.origin', Buffer.from([1, 2, 3]));
    writeFileSync(join(up, 'var', 'new'), 'n');
    writeFileSync(join(up, 'one'), 'same inode');
    linkSync(join(up, 'one'), join(up, 'two'));
    lsetxattr(join(up, 'one'), 'user.tag', Buffer.from('v'));
    const entries = await listTar(await collect(packUpperDir(up)), true);
    expect(entries.map((e) => `${e.type} ${e.name}${e.linkname ? ` -> ${e.linkname}` : ''}`)).toEqual([
      'directory etc/',
      'file etc/.wh.hosts',
      'file etc/.wh.motd',
      'file one',
      'link two -> one',
      'directory var/',
      'file var/.wh..wh..opq',
      'file var/new',
    ]);
    expect(entries.find((e) => e.name === 'one')!.xattrs).toEqual({ 'user.tag': 'v' });
    expect(entries.find((e) => e.name === 'var/')!.xattrs).toEqual({});
  });

  it('the rootless flavour reads user.overlay.opaque', async () => {
    const up = dir();
    mkdirSync(join(up, 'd'));
    lsetxattr(join(up, 'd'), 'user.overlay.opaque', Buffer.from('y'));
    const names = (await listTar(await collect(packUpperDir(up, { rootless: true })))).map((e) => e.name);
    expect(names).toEqual(['d/', 'd/.wh..wh..opq']);
  });

  it('clamps mtimes to SOURCE_DATE_EPOCH', async () => {
    const up = dir();
    writeFileSync(join(up, 'new'), 'n');
    writeFileSync(join(up, 'old'), 'o');
    utimesSync(join(up, 'old'), 1000, 1000);
    symlinkSync('new', join(up, 'ln'));
    lutimesSync(join(up, 'ln'), 2_000_000_000, 2_000_000_000);
    const entries = await listTar(await collect(packUpperDir(up, { epoch: 5000 })));
    expect(Object.fromEntries(entries.map((e) => [e.name, e.mtime]))).toEqual({ ln: 5000, new: 5000, old: 1000 });
  });

  it('commits a blob whose digest is the sha256 of its bytes and equals the diffID', async () => {
    const up = dir();
    writeFileSync(join(up, 'big'), Buffer.alloc(9 << 20, 1)); // > one write batch and read chunk
    for (let i = 0; i < 50; i++) writeFileSync(join(up, `f${i}`), `file ${i}`);
    const layer = await commitUpperDir(up, blobs);
    const bytes = readFileSync(blobs.path(layer.blobDigest));
    expect(sha256hex(bytes)).toBe(layer.blobDigest);
    expect(layer.diffId).toBe(layer.blobDigest);
    expect(layer.blobSize).toBe(bytes.length);
    expect(layer.size).toBe(bytes.length);
    expect(layer.mediaType).toBe('application/vnd.oci.image.layer.v1.tar');
    // the same bytes as the streaming packer
    expect(sha256hex(await collect(packUpperDir(up)))).toBe(layer.blobDigest);
  });
});

describe('syncIo: the packing thread walks, reads and writes with plain syscalls', () => {
  it('commits the bytes the thread-pool packer gives: whiteouts, opaque dirs, links, xattrs, big and empty files', async () => {
    const up = dir();
    mkdirSync(join(up, 'etc'));
    mknod(join(up, 'etc', 'gone'), S_IFCHR, 0, 0);
    mkdirSync(join(up, 'var', 'deep'), { recursive: true });
    lsetxattr(join(up, 'var'), 'trusted.overlay.opaque', Buffer.from('y'));
    writeFileSync(join(up, 'var', 'deep', 'f'), 'deep');
    writeFileSync(join(up, 'one'), 'same inode');
    linkSync(join(up, 'one'), join(up, 'two'));
    lsetxattr(join(up, 'one'), 'user.tag', Buffer.from('v'));
    symlinkSync('one', join(up, 'ln'));
    // streamed through one reused read buffer: distinct bytes per MiB, so a reused chunk shows
    const big = Buffer.alloc((5 << 20) + 12345);
    for (let i = 0; i < big.length; i += 4096) big[i] = (i >> 20) + 1;
    writeFileSync(join(up, 'big'), big);
    writeFileSync(join(up, 'big2'), Buffer.alloc(3 << 20, 9)); // a second one after it
    writeFileSync(join(up, 'empty'), '');
    for (let i = 0; i < 300; i++) writeFileSync(join(up, `f${String(i).padStart(3, '0')}`), `file ${i}\n`.repeat(i));
    const pool = await collect(packUpperDir(up, { epoch: 1_700_000_000 }));
    const layer = await commitUpperDir(up, blobs, { epoch: 1_700_000_000, syncIo: true });
    const sync = readFileSync(blobs.path(layer.blobDigest));
    expect(sync.length).toBe(pool.length);
    expect(sha256hex(sync)).toBe(sha256hex(pool));
    expect(layer.diffId).toBe(sha256hex(pool));
    expect(layer.size).toBe(pool.length);
    expect((await listTar(sync)).slice(0, 5).map((e) => e.name)).toEqual(['big', 'big2', 'empty', 'etc/', 'etc/.wh.gone']);
  });

  it('a plain directory with a prefix, --chown and a filter: the same bytes', async () => {
    const src = dir();
    writeFileSync(join(src, 'app.js'), 'code');
    mkdirSync(join(src, 'node_modules', 'x'), { recursive: true });
    writeFileSync(join(src, 'node_modules', 'x', 'i.js'), 'dep');
    writeFileSync(join(src, 'keep.txt'), 'k');
    const o = { prefix: 'srv/app', chown: { uid: 7, gid: 8 }, filter: (rel: string) => rel !== 'node_modules' };
    const a = await collect(packDirectory(src, o));
    const layer = await commitDirectory(src, blobs, { ...o, syncIo: true });
    const b = readFileSync(blobs.path(layer.blobDigest));
    expect(sha256hex(b)).toBe(sha256hex(a));
    expect((await listTar(b)).map((e) => e.name)).toEqual(['srv/app/app.js', 'srv/app/keep.txt']);
  });
});

describe('packDirectory', () => {
  it('places a plain directory under a prefix, with --chown and a filter', async () => {
    const src = dir();
    writeFileSync(join(src, 'app.js'), 'code');
    mkdirSync(join(src, 'node_modules', 'x'), { recursive: true });
    writeFileSync(join(src, 'node_modules', 'x', 'i.js'), 'dep');
    writeFileSync(join(src, 'secret.env'), 'k=v');
    mknod(join(src, 'dev0'), S_IFCHR, 0, 0); // not an upper dir: a 0/0 device is just a device
    const tarBuf = await collect(packDirectory(src, {
      prefix: '/srv/app/',
      chown: { uid: 1000, gid: 1001 },
      filter: (rel) => rel !== 'node_modules' && !rel.endsWith('.env'),
    }));
    const entries = await listTar(tarBuf);
    expect(entries.map((e) => `${e.type} ${e.name} ${e.uid}:${e.gid}`)).toEqual([
      'file srv/app/app.js 1000:1001',
      'character-device srv/app/dev0 1000:1001',
    ]);
    const layer = await commitDirectory(src, blobs, { prefix: 'srv/app' });
    expect(layer.diffId).toBe(sha256hex(readFileSync(blobs.path(layer.blobDigest))));
  });
});
