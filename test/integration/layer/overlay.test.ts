import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, appendFileSync, chmodSync, lstatSync, createReadStream } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { tempRoot } from '../../helpers/tmp-store.js';
import { applyLayer } from '../../../main/engine/layer/apply.js';
import { commitRootfsDiff, commitUpperDir, packUpperDir } from '../../../main/engine/layer/diff.js';
import { rootfsDiff } from '../../../main/engine/layer/rootfs-diff.js';
import { upperChanges } from '../../../main/engine/layer/changes.js';
import { mount, umount2, MNT_DETACH } from '../../../main/engine/util/native.js';
import { BlobStore } from '../../../main/engine/store/blobs.js';
import { StorePaths } from '../../../main/engine/store/paths.js';
import { bufferStream, listTar, makeTar } from '../../unit/layer/tar-helpers.js';

// Real kernel overlayfs over snapshots made by applyLayer: the whiteouts and opaque dirs
// applyLayer writes must be the ones the kernel honours, and the upper dir the kernel writes
// must be what commitUpperDir and upperChanges read.
let tmp: { root: string; cleanup: () => void };
const mounted: string[] = [];
beforeAll(() => {
  tmp = tempRoot('slipway-layer-overlay-');
});
afterEach(() => {
  while (mounted.length) umount2(mounted.pop()!, MNT_DETACH);
});
afterAll(() => tmp.cleanup());

let n = 0;
function fresh(name: string): string {
  const d = join(tmp.root, `${name}-${n++}`);
  mkdirSync(d, { recursive: true });
  return d;
}

// fuse-overlayfs leaves different markers in its upper dir (.wh. files, .wh..wh..opq files,
// a .wh..opq device) than the kernel does: both must read back the same.
const drivers = ['overlay', ...(spawnSync('fuse-overlayfs', ['--version']).status === 0 ? ['fuse-overlayfs'] : [])];

function fuseOverlay(lowers: string[], rw: { upper: string; work: string }): string {
  const target = fresh('merged');
  const r = spawnSync('fuse-overlayfs', ['-o', `lowerdir=${lowers.join(':')},upperdir=${rw.upper},workdir=${rw.work}`, target], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`fuse-overlayfs: ${r.stderr}`);
  return target;
}

function unmountDriver(driver: string, target: string): void {
  if (driver === 'overlay') {
    umount2(target);
    mounted.splice(mounted.indexOf(target), 1);
  } else {
    const r = spawnSync('fusermount3', ['-u', target], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`fusermount3 -u: ${r.stderr}`);
  }
}

function overlay(lowers: string[], rw?: { upper: string; work: string }): string {
  const target = fresh('merged');
  const data = `lowerdir=${lowers.join(':')}${rw ? `,upperdir=${rw.upper},workdir=${rw.work}` : ''}`;
  mount('overlay', target, 'overlay', 0, data);
  mounted.push(target);
  return target;
}

async function snapshot(entries: Parameters<typeof makeTar>[0]): Promise<string> {
  const dir = fresh('snap');
  await applyLayer(bufferStream(await makeTar(entries)), dir);
  return dir;
}

/** The base image: two layers, the second deleting and replacing some of the first. */
async function baseImage(): Promise<{ l1: string; l2: string }> {
  const l1 = await snapshot([
    { name: 'etc/', type: 'directory' },
    { name: 'etc/passwd', body: 'root:x:0:0\n' },
    { name: 'etc/hosts', body: '127.0.0.1 localhost\n' },
    { name: 'etc/motd', body: 'welcome\n' },
    { name: 'opt/', type: 'directory' },
    { name: 'opt/app/', type: 'directory' },
    { name: 'opt/app/v1.txt', body: 'version 1' },
    { name: 'opt/app/lib/', type: 'directory' },
    { name: 'opt/app/lib/old.so', body: 'old' },
    { name: 'var/', type: 'directory' },
    { name: 'var/log/', type: 'directory' },
    { name: 'var/log/a.log', body: 'a' },
    { name: 'var/log/b.log', body: 'b' },
  ]);
  const l2 = await snapshot([
    { name: 'etc/', type: 'directory' },
    { name: 'etc/.wh.motd' },
    { name: 'opt/', type: 'directory' },
    { name: 'opt/app/', type: 'directory' },
    { name: 'opt/app/.wh..wh..opq' },
    { name: 'opt/app/v2.txt', body: 'version 2' },
  ]);
  return { l1, l2 };
}

describe('layers in a real overlay mount', () => {
  it('whiteouts hide lower files and opaque dirs hide lower dirs', async () => {
    const { l1, l2 } = await baseImage();
    // applyLayer wrote overlay-native markers, not .wh. files
    expect(lstatSync(join(l2, 'etc', 'motd')).isCharacterDevice()).toBe(true);
    expect(existsSync(join(l2, 'etc', '.wh.motd'))).toBe(false);
    const m = overlay([l2, l1]);
    expect(readdirSync(join(m, 'etc')).sort()).toEqual(['hosts', 'passwd']);
    expect(existsSync(join(m, 'etc', 'motd'))).toBe(false);
    expect(readdirSync(join(m, 'opt', 'app'))).toEqual(['v2.txt']);
    expect(readFileSync(join(m, 'etc', 'passwd'), 'utf8')).toBe('root:x:0:0\n');
    // and the lower layer itself is untouched
    expect(readFileSync(join(l1, 'etc', 'motd'), 'utf8')).toBe('welcome\n');
  });

  it.each(drivers)('commits the writes and deletes made through a %s mount into a layer that replays them', async (driver) => {
    const { l1, l2 } = await baseImage();
    const upper = fresh('upper');
    const work = fresh('work');
    const m = driver === 'overlay' ? overlay([l2, l1], { upper, work }) : fuseOverlay([l2, l1], { upper, work });
    // what a container would do
    appendFileSync(join(m, 'etc', 'passwd'), 'app:x:1000:1000\n'); // C
    rmSync(join(m, 'etc', 'hosts')); // D
    writeFileSync(join(m, 'etc', 'app.conf'), 'port=80\n'); // A
    rmSync(join(m, 'var', 'log'), { recursive: true }); // D (a whole dir)
    mkdirSync(join(m, 'var', 'log')); // ... recreated empty: opaque
    writeFileSync(join(m, 'var', 'log', 'new.log'), 'fresh'); // A
    mkdirSync(join(m, 'srv', 'data'), { recursive: true }); // A, A
    chmodSync(join(m, 'opt'), 0o700); // C (metadata only)
    const expected = snapshotView(m);
    unmountDriver(driver, m);

    // docker diff
    const changes = await upperChanges(upper, [l2, l1]);
    expect(changes.map((c) => `${c.kind} ${c.path}`)).toEqual([
      'C /etc',
      'A /etc/app.conf',
      'D /etc/hosts',
      'C /etc/passwd',
      'C /opt',
      'A /srv',
      'A /srv/data',
      'C /var',
      'C /var/log',
      'D /var/log/a.log',
      'D /var/log/b.log',
      'A /var/log/new.log',
    ]);

    // docker commit: the blob is the layer tar, its digest is its diffID
    const store = fresh('store');
    const blobs = new BlobStore(new StorePaths(store));
    const layer = await commitUpperDir(upper, blobs);
    expect(layer.diffId).toBe(layer.blobDigest);
    expect(layer.mediaType).toBe('application/vnd.oci.image.layer.v1.tar');
    const onDisk = createHash('sha256').update(readFileSync(blobs.path(layer.blobDigest))).digest('hex');
    expect(`sha256:${onDisk}`).toBe(layer.blobDigest);
    expect(layer.blobSize).toBe(lstatSync(blobs.path(layer.blobDigest)).size);

    // the new image = base layers + this one: the deletions hold, the additions show
    const l3 = fresh('snap');
    const applied = await applyLayer(createReadStream(blobs.path(layer.blobDigest)), l3);
    expect(applied.diffId).toBe(layer.diffId);
    const m2 = overlay([l3, l2, l1]);
    expect(snapshotView(m2)).toEqual(expected);
    expect(existsSync(join(m2, 'etc', 'hosts'))).toBe(false);
    expect(readdirSync(join(m2, 'var', 'log'))).toEqual(['new.log']);
    expect(readFileSync(join(m2, 'etc', 'passwd'), 'utf8')).toBe('root:x:0:0\napp:x:1000:1000\n');
    expect(lstatSync(join(m2, 'opt')).mode & 0o777).toBe(0o700);
  });

  it('copy driver: diffs and commits a full-copy rootfs against the image layers', async () => {
    const { l1, l2 } = await baseImage();
    // the copy driver's rootfs: the image flattened into one directory
    const rootfs = fresh('rootfs');
    for (const l of [l1, l2]) await applyLayer(packUpperDir(l), rootfs, { mode: 'flatten' }); // snapshots are overlay-form
    const mergedBefore = overlay([l2, l1]);
    expect(snapshotView(rootfs)).toEqual(snapshotView(mergedBefore));
    appendFileSync(join(rootfs, 'etc', 'passwd'), 'app:x:1000:1000\n');
    rmSync(join(rootfs, 'etc', 'hosts'));
    writeFileSync(join(rootfs, 'etc', 'app.conf'), 'port=80\n');
    rmSync(join(rootfs, 'var', 'log'), { recursive: true });
    mkdirSync(join(rootfs, 'var', 'log'));
    writeFileSync(join(rootfs, 'var', 'log', 'new.log'), 'fresh');
    mkdirSync(join(rootfs, 'srv', 'data'), { recursive: true });
    chmodSync(join(rootfs, 'opt'), 0o700);
    const d = await rootfsDiff(rootfs, [l2, l1]);
    expect(d.changes.map((c) => `${c.kind} ${c.path}`)).toEqual([
      'C /etc', 'A /etc/app.conf', 'D /etc/hosts', 'C /etc/passwd', 'C /opt', 'A /srv', 'A /srv/data',
      'C /var', 'C /var/log', 'D /var/log/a.log', 'D /var/log/b.log', 'A /var/log/new.log',
    ]);
    const blobs = new BlobStore(new StorePaths(fresh('store')));
    const layer = await commitRootfsDiff(rootfs, [l2, l1], blobs);
    const names = (await listTar(readFileSync(blobs.path(layer.blobDigest)))).map((e) => e.name);
    // only the changes and their parents, not the whole image again
    expect(names).toEqual(['etc/', 'etc/.wh.hosts', 'etc/app.conf', 'etc/passwd', 'opt/', 'srv/', 'srv/data/', 'var/', 'var/log/', 'var/log/.wh.a.log', 'var/log/.wh.b.log', 'var/log/new.log']);
    const l3 = fresh('snap');
    await applyLayer(createReadStream(blobs.path(layer.blobDigest)), l3);
    expect(snapshotView(overlay([l3, l2, l1]))).toEqual(snapshotView(rootfs));
  });

  it('reports nothing for an untouched container', async () => {
    const { l1, l2 } = await baseImage();
    expect(await upperChanges(fresh('upper'), [l2, l1])).toEqual([]);
  });
});

/** path -> type:mode:content for everything visible in a tree (what a user would see). */
function snapshotView(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(p);
      if (st.isDirectory()) {
        out[r] = `dir:${(st.mode & 0o7777).toString(8)}`;
        walk(p, r);
      } else {
        out[r] = `file:${(st.mode & 0o7777).toString(8)}:${readFileSync(p, 'utf8')}`;
      }
    }
  };
  walk(root, '');
  return out;
}
