import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { join } from 'node:path';
import { writeFileSync, mkdirSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { FIXTURES, tempRoot } from '../../helpers/tmp-store.js';
import { BUILD_TIMEOUT, ensureBuilt, handmadeArchive, sha, slipway, storeContent, tarOf } from './cli.js';

const FIXTURE_ID = 'sha256:fbf678b4abc9e18fa9aa08e0594ff057ff465fb908c5fa2cd25fb35c559c0141';
const SHORT = 'fbf678b4abc9';

/** A container row as the containers code writes it: rmi/prune must respect it. */
function addContainerRow(root: string, id: string, imageId: string, state: string): void {
  const db = new Database(join(root, 'slipway.db'));
  try {
    db.prepare(`INSERT INTO containers (id, name, image_id, image_ref, created, spec, state) VALUES (?, ?, ?, ?, ?, ?, ?)`).run(
      id, `c-${id.slice(0, 6)}`, imageId, 'localhost/busybox', new Date().toISOString(), '{}', state,
    );
  } finally {
    db.close();
  }
  mkdirSync(join(root, 'containers', id), { recursive: true });
}

function dropContainerRow(root: string, id: string): void {
  const db = new Database(join(root, 'slipway.db'));
  try {
    db.prepare(`DELETE FROM containers WHERE id = ?`).run(id);
  } finally {
    db.close();
  }
  rmSync(join(root, 'containers', id), { recursive: true, force: true });
}

describe('tag and rmi', () => {
  const { root, cleanup } = tempRoot('slipway-img-rmi-');
  beforeAll(() => {
    ensureBuilt();
    expect(slipway(root, ['load', '-q', '-i', join(FIXTURES, 'busybox-docker.tar')]).code).toBe(0);
  }, BUILD_TIMEOUT);
  afterAll(() => cleanup());

  it('tag adds a name; images lists one row per name', () => {
    expect(slipway(root, ['tag', 'localhost/busybox', 'b:2']).code).toBe(0);
    expect(slipway(root, ['tag', SHORT, 'registry.local:5000/team/bb']).code).toBe(0);
    const rows = slipway(root, ['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']).stdout.trim().split('\n').sort();
    expect(rows).toEqual([`b:2 ${SHORT}`, `localhost/busybox:latest ${SHORT}`, `registry.local:5000/team/bb:latest ${SHORT}`]);
    const bad = slipway(root, ['tag', 'localhost/busybox', 'Bad:Name']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('Error parsing reference: "Bad:Name" is not a valid repository/tag: invalid reference format: repository name must be lowercase\n');
    expect(slipway(root, ['tag', 'nope', 'x:1']).stderr).toBe('Error: No such image: nope\n');
  });

  it('rmi of one of several tags only untags', () => {
    const r = slipway(root, ['rmi', 'b:2']);
    expect(r.stdout).toBe('Untagged: b:2\n');
    expect(slipway(root, ['images', '-q']).stdout).toBe(`${SHORT}\n${SHORT}\n`);
  });

  it('rmi by ID refuses an image with several names unless -f', () => {
    const r = slipway(root, ['rmi', SHORT]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`Error: conflict: unable to delete ${SHORT} (must be forced) - image is referenced in multiple repositories\n`);
    expect(slipway(root, ['rmi', 'registry.local:5000/team/bb']).stdout).toBe('Untagged: registry.local:5000/team/bb:latest\n');
  });

  it('refuses an image a container uses; -f only untags it', () => {
    const cid = 'c0ffee'.padEnd(64, '0');
    addContainerRow(root, cid, FIXTURE_ID, 'exited');
    const r = slipway(root, ['rmi', 'localhost/busybox']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`Error: conflict: unable to remove repository reference "localhost/busybox" (must force) - container c0ffee000000 is using its referenced image ${SHORT}\n`);
    const byId = slipway(root, ['rmi', SHORT]);
    expect(byId.stderr).toBe(`Error: conflict: unable to delete ${SHORT} (must be forced) - image is being used by stopped container c0ffee000000\n`);
    const f = slipway(root, ['rmi', '-f', 'localhost/busybox']);
    expect(f.code).toBe(0);
    expect(f.stdout).toBe('Untagged: localhost/busybox:latest\n');
    // still there, now dangling, because the container stands on it
    expect(slipway(root, ['images', '--format', '{{.Repository}} {{.Tag}} {{.ID}}']).stdout).toBe(`<none> <none> ${SHORT}\n`);
    // image prune leaves it alone too
    expect(slipway(root, ['image', 'prune', '-f']).stdout).toBe('Total reclaimed space: 0B\n');
    dropContainerRow(root, cid);
    addContainerRow(root, cid.replace('c0ffee', 'beef00'), FIXTURE_ID, 'running');
    const running = slipway(root, ['rmi', '-f', SHORT]);
    expect(running.stderr).toBe(`Error: conflict: unable to delete ${SHORT} (cannot be forced) - image is being used by running container beef00000000\n`);
    dropContainerRow(root, cid.replace('c0ffee', 'beef00'));
  });

  it('the last name deletes: rows, blobs and snapshot go, and the store checks clean', () => {
    slipway(root, ['tag', SHORT, 'last:1']);
    const r = slipway(root, ['rmi', 'last:1']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual(['Untagged: last:1', `Deleted: ${FIXTURE_ID}`, 'Deleted: sha256:54c7ca1157e0c33d7199ac1eb7867d0d9fbbc69a6ed4a8d16c54395305a647bf', '']);
    expect(slipway(root, ['images', '-aq']).stdout).toBe('');
    expect(storeContent(root)).toEqual({ blobs: [], snapshots: [], tmp: [] });
    expect(slipway(root, ['system', 'check']).code).toBe(0);
    const none = slipway(root, ['rmi', 'last:1', 'other']);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe('Error: No such image: last:1\nError: No such image: other\n');
  });
});

describe('history', () => {
  const { root, cleanup } = tempRoot('slipway-img-hist-');
  let id = '';
  beforeAll(async () => {
    ensureBuilt();
    const l1 = await tarOf([{ h: { name: 'a.txt' }, data: Buffer.alloc(3000, 1) }]);
    const l2 = await tarOf([{ h: { name: 'b.txt' }, data: Buffer.alloc(10, 2) }]);
    const arc = await handmadeArchive([{
      layers: [l1, l2],
      tags: ['hist:1'],
      config: {
        history: [
          { created: '2020-01-01T00:00:00Z', created_by: '/bin/sh -c #(nop) ADD file:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa in /' },
          { created: '2020-01-02T00:00:00Z', created_by: '/bin/sh -c #(nop)  ENV X=1', empty_layer: true },
          { created: '2020-01-03T00:00:00Z', created_by: 'COPY b.txt /', comment: 'second' },
        ],
      },
    }]);
    const file = join(root, '..', `${root.split('/').pop()}-hist.tar`);
    writeFileSync(file, arc);
    const r = slipway(root, ['load', '-i', file]);
    expect(r.stdout).toBe('Loaded image: hist:1\n');
    id = slipway(root, ['inspect', '-f', '{{.Id}}', 'hist:1']).stdout.trim();
    expect(sha(l1)).not.toBe(sha(l2));
  }, BUILD_TIMEOUT);
  afterAll(() => cleanup());

  it('one row per history entry, newest first, layer sizes on non-empty rows, <missing> below the top', () => {
    const r = slipway(root, ['history', 'hist:1']);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(new RegExp(`^${id.slice(7, 19)}\\s+\\d+ (years|months) ago\\s+COPY b.txt /\\s+2.05kB\\s+second$`));
    expect(lines[2]).toMatch(/^<missing>\s+.*ENV X=1\s+0B\s*$/);
    // CREATED BY is cut at 45 characters with an ellipsis, as docker does
    expect(lines[3]).toContain('/bin/sh -c #(nop) ADD file:aaaaaaaaaaaaaaaaa…');
    expect(lines[3]).toMatch(/\s4.61kB\s*$/);
  });

  it('-q, --no-trunc, -H=false and --format', () => {
    expect(slipway(root, ['history', '-q', 'hist:1']).stdout).toBe(`${id.slice(7, 19)}\n<missing>\n<missing>\n`);
    const raw = slipway(root, ['history', '-H=false', '--no-trunc', '--format', '{{.ID}}|{{.CreatedSince}}|{{.Size}}|{{.CreatedBy}}', 'hist:1']);
    expect(raw.stdout.split('\n')[0]).toBe(`${id}|2020-01-03T00:00:00Z|2048|COPY b.txt /`);
    expect(raw.stdout.split('\n')[2]).toBe('<missing>|2020-01-01T00:00:00Z|4608|/bin/sh -c #(nop) ADD file:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa in /');
    expect(slipway(root, ['history', 'nope']).stderr).toBe('Error: No such image: nope\n');
  });
});

describe('prune and df', () => {
  const { root, cleanup } = tempRoot('slipway-img-prune-');
  beforeAll(() => ensureBuilt(), BUILD_TIMEOUT);
  afterAll(() => cleanup());

  it('system df counts a layer shared by two images once', async () => {
    const l1 = await tarOf([{ h: { name: 'big' }, data: Buffer.alloc(100_000, 7) }]);
    const l2 = await tarOf([{ h: { name: 'small' }, data: Buffer.alloc(1000, 8) }]);
    const arc = await handmadeArchive([
      { layers: [l1], tags: ['base:1'] },
      { layers: [l1, l2], tags: ['app:1'], config: { config: { Labels: { keep: 'yes' } } } },
    ]);
    const file = join(root, '..', `${root.split('/').pop()}-df.tar`);
    writeFileSync(file, arc);
    expect(slipway(root, ['load', '-i', file]).code).toBe(0);
    const df = slipway(root, ['system', 'df', '--format', '{{.Type}}|{{.TotalCount}}|{{.Active}}|{{.Size}}|{{.Reclaimable}}']);
    const total = l1.length + l2.length;
    const human = `${Number((total / 1000).toPrecision(4))}kB`;
    expect(df.stdout.split('\n')[0]).toBe(`Images|2|0|${human}|${human} (100%)`);
    const v = slipway(root, ['system', 'df', '-v']).stdout;
    expect(v).toMatch(/Images space usage:/);
    expect(v).toMatch(/app\s+1\s+\w{12}\s+.*\s+10\d\.\dkB\s+10\d\.\dkB\s+[\d.]+kB\s+0/);
  });

  it('image prune removes dangling images; -a with a label filter removes the unused tagged ones that match', () => {
    const imp = slipway(root, ['import', join(FIXTURES, 'busybox-rootfs.tar')]);
    const dangling = imp.stdout.trim();
    const p = slipway(root, ['image', 'prune', '-f']);
    expect(p.stdout).toBe(`Deleted Images:\ndeleted: ${dangling}\n\nTotal reclaimed space: 2.14MB\n`);
    const a = slipway(root, ['image', 'prune', '-a', '-f', '--filter', 'label!=keep']);
    expect(a.stdout).toMatch(/^Deleted Images:\nuntagged: base:1\ndeleted: sha256:[a-f0-9]{64}\n\nTotal reclaimed space: 0B\n$/);
    // base's layer is still used by app:1, so nothing was reclaimed
    expect(slipway(root, ['images', '--format', '{{.Repository}}']).stdout).toBe('app\n');
    const all = slipway(root, ['system', 'prune', '-a', '-f']);
    expect(all.stdout).toMatch(/untagged: app:1\ndeleted: sha256:[a-f0-9]{64}\n\nTotal reclaimed space: 10\dkB\n$/);
    expect(storeContent(root)).toEqual({ blobs: [], snapshots: [], tmp: [] });
    expect(slipway(root, ['system', 'check']).code).toBe(0);
  });

  it('prune asks first and does nothing on no', () => {
    slipway(root, ['import', join(FIXTURES, 'busybox-rootfs.tar')]);
    const r = slipway(root, ['image', 'prune'], { input: 'n\n' });
    expect(r.stderr).toMatch(/WARNING! This will remove all dangling images/);
    expect(r.stdout).toBe('');
    expect(slipway(root, ['images', '-q']).stdout).not.toBe('');
  });
});
