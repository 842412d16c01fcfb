import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempRoot } from '../../helpers/tmp-store.js';
import { applyLayer } from '../../../main/engine/layer/apply.js';
import { upperChanges } from '../../../main/engine/layer/changes.js';
import { packUpperDir } from '../../../main/engine/layer/diff.js';
import { lgetxattr, mount, umount2, MNT_DETACH } from '../../../main/engine/util/native.js';
import { bufferStream, collect, listTar, makeTar } from '../../unit/layer/tar-helpers.js';
import { writeFileSync, rmSync } from 'node:fs';

// Runs only inside `unshare --user --map-root-user --mount` (started by userns.test.ts):
// the rootless flavour of layers, where only the caller's own id is mapped, trusted.*
// xattrs and device nodes are out of reach, and overlay is mounted with userxattr.
const inUserns = process.env.SLIPWAY_LAYER_USERNS === '1';

let tmp: { root: string; cleanup: () => void };
beforeAll(() => {
  if (inUserns) tmp = tempRoot('slipway-layer-userns-');
});
afterAll(() => tmp?.cleanup());

let n = 0;
function fresh(name: string): string {
  const d = join(tmp.root, `${name}-${n++}`);
  mkdirSync(d);
  return d;
}

describe.runIf(inUserns)('layers in a user namespace (rootless)', () => {
  it('writes user.overlay.opaque, 0/0 whiteouts, skips devices, and a userxattr overlay honours them', async () => {
    const l1 = fresh('l1');
    await applyLayer(bufferStream(await makeTar([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/keep', body: 'k' },
      { name: 'etc/gone', body: 'g' },
      { name: 'data/', type: 'directory' },
      { name: 'data/old', body: 'o' },
    ])), l1, { rootless: true });
    const l2 = fresh('l2');
    const r = await applyLayer(bufferStream(await makeTar([
      { name: 'etc/.wh.gone' },
      { name: 'data/', type: 'directory' },
      { name: 'data/.wh..wh..opq' },
      { name: 'data/new', body: 'n' },
      { name: 'dev/', type: 'directory' },
      { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
      { name: 'dev/fifo', type: 'fifo' },
    ])), l2, { rootless: true });
    expect(r.warnings).toEqual(['skipped device node /dev/null: device nodes cannot be created without root']);
    expect(lgetxattr(join(l2, 'data'), 'user.overlay.opaque')?.toString()).toBe('y');
    expect(lstatSync(join(l2, 'etc', 'gone')).isCharacterDevice()).toBe(true);
    expect(lstatSync(join(l2, 'dev', 'fifo')).isFIFO()).toBe(true);

    const upper = fresh('upper');
    const work = fresh('work');
    const m = fresh('merged');
    mount('overlay', m, 'overlay', 0, `lowerdir=${l2}:${l1},upperdir=${upper},workdir=${work},userxattr`);
    try {
      expect(readdirSync(join(m, 'etc'))).toEqual(['keep']);
      expect(readdirSync(join(m, 'data'))).toEqual(['new']);
      rmSync(join(m, 'etc', 'keep'));
      writeFileSync(join(m, 'etc', 'added'), 'a');
    } finally {
      umount2(m, MNT_DETACH);
    }
    expect((await upperChanges(upper, [l2, l1], { rootless: true })).map((c) => `${c.kind} ${c.path}`)).toEqual([
      'C /etc', 'A /etc/added', 'D /etc/keep',
    ]);
    const names = (await listTar(await collect(packUpperDir(upper, { rootless: true })))).map((e) => e.name);
    expect(names).toEqual(['etc/', 'etc/added', 'etc/.wh.keep']); // sorted by the real name: added < keep
    expect(readFileSync(join(l1, 'etc', 'keep'), 'utf8')).toBe('k');
  });

  it('names the unmapped id when a layer wants an owner this namespace does not have', async () => {
    const dest = fresh('unmapped');
    await expect(applyLayer(bufferStream(await makeTar([{ name: 'home/', type: 'directory' }, { name: 'home/app', body: 'x', uid: 1000, gid: 1000 }])), dest, { rootless: true }))
      .rejects.toThrow(/cannot give \/home\/app the owner 1000:1000: that uid\/gid is not mapped in this user namespace; give your user a larger range in \/etc\/subuid/);
    expect(existsSync(join(dest, 'home'))).toBe(true); // the caller removes its temp dir
  });
});
