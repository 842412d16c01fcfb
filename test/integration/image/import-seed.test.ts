import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { join } from 'node:path';
import { existsSync, lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { FIXTURES, tempRoot, tempEngine } from '../../helpers/tmp-store.js';
import { BUILD_TIMEOUT, ensureBuilt, slipway } from './cli.js';
import { ensureSeedImage, seedBusybox } from '../../../main/engine/image/seed.js';
import { applyChanges } from '../../../main/engine/image/changes.js';

describe('import', () => {
  const { root, cleanup } = tempRoot('slipway-img-import-');
  beforeAll(() => ensureBuilt(), BUILD_TIMEOUT);
  afterAll(() => cleanup());

  it('a rootfs tar with -c changes and -m becomes a one-layer image with that config', () => {
    const r = slipway(root, [
      'import',
      '-c', 'CMD ["/bin/sh", "-c", "echo hi"]',
      '-c', 'ENTRYPOINT ["/bin/busybox"]',
      '-c', 'ENV A=1 B="two words"',
      '-c', 'EXPOSE 8080 53/udp',
      '-c', 'LABEL k=v "with space"=yes',
      '-c', 'USER nobody',
      '-c', 'VOLUME ["/data"]',
      '-c', 'WORKDIR /srv',
      '-c', 'STOPSIGNAL SIGINT',
      '-m', 'my import',
      join(FIXTURES, 'busybox-rootfs.tar'),
      'imp/bb:1',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^sha256:[a-f0-9]{64}\n$/);
    const [info] = JSON.parse(slipway(root, ['image', 'inspect', 'imp/bb:1']).stdout) as Record<string, any>[];
    expect(info!.Id).toBe(r.stdout.trim());
    expect(info!.RepoTags).toEqual(['imp/bb:1']);
    expect(info!.Comment).toBe('my import');
    expect(info!.RootFS.Layers).toHaveLength(1);
    expect(info!.Config).toMatchObject({
      Cmd: ['/bin/sh', '-c', 'echo hi'],
      Entrypoint: ['/bin/busybox'],
      Env: ['A=1', 'B=two words'],
      ExposedPorts: { '8080/tcp': {}, '53/udp': {} },
      Labels: { k: 'v', 'with space': 'yes' },
      User: 'nobody',
      Volumes: { '/data': {} },
      WorkingDir: '/srv',
      StopSignal: 'SIGINT',
    });
    const hist = slipway(root, ['history', '--format', '{{.Comment}}|{{.Size}}', 'imp/bb:1']);
    expect(hist.stdout).toBe('my import|2.14MB\n');
  });

  it('import - reads stdin and says "Imported from -"', () => {
    const r = slipway(root, ['import', '-'], { input: readFileSync(join(FIXTURES, 'busybox-rootfs.tar')) });
    expect(r.code).toBe(0);
    const id = r.stdout.trim();
    expect(slipway(root, ['inspect', '-f', '{{.Comment}}', id]).stdout).toBe('Imported from -\n');
    expect(slipway(root, ['images', '--filter', 'dangling=true', '-q', '--no-trunc']).stdout).toBe(`${id}\n`);
  });

  it('refuses an instruction -c does not take, and a missing file, with one line', () => {
    const bad = slipway(root, ['import', '-c', 'RUN rm -rf /', join(FIXTURES, 'busybox-rootfs.tar')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('Error: RUN is not a valid change command (use one of CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, USER, VOLUME, WORKDIR, STOPSIGNAL)\n');
    const missing = slipway(root, ['import', '/no/such.tar']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('Error: open /no/such.tar: no such file or directory\n');
    const notTar = slipway(root, ['import', '/etc/hostname']);
    expect(notTar.code).toBe(1);
    expect(notTar.stderr).toMatch(/^Error: .*tar/);
    expect(slipway(root, ['system', 'check']).code).toBe(0);
  });

  it('shell-form CMD is wrapped in /bin/sh -c; ENV KEY VALUE legacy form works', () => {
    const c = applyChanges({ Env: ['A=0'] }, ['CMD echo "$HOME"', 'ENV A 1', 'WORKDIR rel']);
    expect(c.Cmd).toEqual(['/bin/sh', '-c', 'echo "$HOME"']);
    expect(c.Env).toEqual(['A=1']);
    expect(c.WorkingDir).toBe('/rel');
  });
});

describe('busybox seed', () => {
  it('is made from the host busybox-static: applets, passwd, /tmp 1777, PATH, Cmd sh; same binary -> same ID', async () => {
    const a = tempEngine();
    const b = tempEngine();
    try {
      const s1 = await seedBusybox(a.engine);
      const s2 = await seedBusybox(b.engine);
      expect(s1.image.id).toBe(s2.image.id);
      expect(s1.image.tags).toEqual(['docker.io/library/busybox:latest']);
      const cfg = a.engine.images.config(s1.image);
      expect(cfg.config.Cmd).toEqual(['sh']);
      expect(cfg.config.Env?.[0]).toMatch(/^PATH=.*\/bin/);
      const snap = a.engine.images.snapshots.path(s1.image.layers[0]!.chainId);
      expect(statSync(join(snap, 'bin', 'busybox')).mode & 0o777).toBe(0o755);
      expect(readlinkSync(join(snap, 'bin', 'sh'))).toBe('/bin/busybox');
      expect(lstatSync(join(snap, 'usr', 'bin', 'env')).isSymbolicLink()).toBe(true);
      expect(readFileSync(join(snap, 'etc', 'passwd'), 'utf8')).toMatch(/^root:x:0:0:/);
      expect(existsSync(join(snap, 'etc', 'group'))).toBe(true);
      expect(statSync(join(snap, 'tmp')).mode & 0o7777).toBe(0o1777);
    } finally {
      a.cleanup();
      b.cleanup();
    }
  });

  it('ensureSeedImage seeds busybox only on an empty store, and says so once', async () => {
    const t = tempEngine();
    try {
      const lines: string[] = [];
      const say = (l: string): void => void lines.push(l);
      expect(await ensureSeedImage(t.engine, 'alpine', say)).toBeUndefined();
      const img = await ensureSeedImage(t.engine, 'busybox', say);
      expect(img?.tags).toEqual(['docker.io/library/busybox:latest']);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/busybox-static/);
      // now it exists: found, nothing printed
      expect((await ensureSeedImage(t.engine, 'busybox:latest', say))?.id).toBe(img!.id);
      expect(lines).toHaveLength(1);
    } finally {
      t.cleanup();
    }
  });

  it('a store that has other images is not seeded behind the user\'s back', async () => {
    const t = tempEngine();
    try {
      const { importRootfs } = await import('../../../main/engine/image/import.js');
      await importRootfs(t.engine, join(FIXTURES, 'busybox-rootfs.tar'), { ref: 'mine:1' });
      expect(await ensureSeedImage(t.engine, 'busybox', () => {})).toBeUndefined();
    } finally {
      t.cleanup();
    }
  });

  it('slipway image seed prints where the image came from', () => {
    const t = tempRoot('slipway-img-seed-');
    try {
      const r = slipway(t.root, ['image', 'seed']);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/from the host's busybox-static/);
      expect(r.stdout).toMatch(/^Seeded image: busybox:latest \(sha256:[a-f0-9]{64}\)\n$/);
      expect(slipway(t.root, ['images', '--format', '{{.Repository}}:{{.Tag}}']).stdout).toBe('busybox:latest\n');
    } finally {
      t.cleanup();
    }
  });
});
