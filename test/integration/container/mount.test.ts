import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, tempRoot } from '../../helpers/tmp-store.js';
import { handmadeArchive, slipway, tarOf } from '../image/cli.js';
import { BUSYBOX, ensureBuilt, mountsUnder } from './helpers.js';

const LAYERS = 120;
let root: string;
let cleanup: () => void;
const sw = (...a: string[]) => slipway(root, a);

beforeAll(async () => {
  ensureBuilt();
  ({ root, cleanup } = tempRoot('slipway-mnt-'));
  const base = readFileSync(join(FIXTURES, 'busybox-rootfs.tar'));
  const layers: Buffer[] = [base];
  for (let i = 1; i < LAYERS; i++) {
    const entries = [
      { h: { name: 'layers/', type: 'dir' as const, mode: 0o755 } },
      { h: { name: `layers/${i}`, mode: 0o644, size: String(i).length }, data: Buffer.from(String(i)) },
      { h: { name: 'top', mode: 0o644, size: String(i).length }, data: Buffer.from(String(i)) },
    ];
    if (i === 60) entries.push({ h: { name: 'bin/.wh.vi', mode: 0o644, size: 0 }, data: Buffer.alloc(0) });
    layers.push(await tarOf(entries));
  }
  const archive = await handmadeArchive([{ layers, tags: ['tall:latest'], config: { config: { Cmd: ['sh'] } } }]);
  const l = slipway(root, ['load'], { input: archive });
  if (l.code !== 0) throw new Error(`load: ${l.stderr}`);
  const b = sw('load', '-i', join(FIXTURES, 'busybox-docker.tar'));
  if (b.code !== 0) throw new Error(`load: ${b.stderr}`);
}, 600_000);
afterAll(() => {
  const ids = sw('ps', '-aq', '--no-trunc').stdout.split('\n').filter(Boolean);
  if (ids.length) sw('rm', '-f', ...ids);
  cleanup?.();
});

describe('mounting', () => {
  it(`runs an image of ${LAYERS} layers (more than fit one page of absolute lowerdir paths)`, () => {
    const r = sw('run', '--name', 'tall', 'tall', 'sh', '-c', 'ls /layers | wc -l; cat /top; echo; ls /bin/vi 2>&1; echo w > /written');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${LAYERS - 1}\n${LAYERS - 1}\nls: /bin/vi: No such file or directory\n`);
    expect(sw('diff', 'tall').stdout).toBe('A /written\n');
    expect(mountsUnder(join(root, 'containers')).length).toBe(0);
  });

  it('slipway info names the driver and why', () => {
    const r = sw('info');
    expect(r.stdout).toMatch(/ Storage Driver: overlay\n  Why: kernel overlayfs passed a mount test/);
  });

  it('works with fuse-overlayfs: run, isolation, diff, commit', () => {
    const env = { SLIPWAY_MOUNT_DRIVER: 'fuse-overlayfs' };
    const run = (...a: string[]) => slipway(root, a, { env });
    const r = run('run', '--name', 'fuse1', BUSYBOX, 'sh', '-c', 'echo f > /f; rm /bin/vi; cat /f');
    expect(r.stdout).toBe('f\n');
    expect(run('inspect', '-f', '{{.Driver}}', 'fuse1').stdout).toBe('fuse-overlayfs\n');
    expect(run('diff', 'fuse1').stdout).toBe('C /bin\nD /bin/vi\nA /f\n');
    const c = run('commit', 'fuse1', 'fused:v1');
    expect(c.code).toBe(0);
    expect(run('run', '--rm', 'fused:v1', 'sh', '-c', 'cat /f; ls /bin/vi 2>/dev/null; echo done').stdout).toBe('f\ndone\n');
    expect(run('run', '--rm', BUSYBOX, 'ls', '/f').code).toBe(1);
    expect(mountsUnder(join(root, 'containers')).length).toBe(0);
  });

  it('works with the copy driver: run and isolation', () => {
    const env = { SLIPWAY_MOUNT_DRIVER: 'copy' };
    const run = (...a: string[]) => slipway(root, a, { env });
    expect(run('run', '--name', 'copy1', 'tall', 'sh', '-c', 'cat /top; echo; ls /bin/vi 2>/dev/null; echo c > /c').stdout).toBe(`${LAYERS - 1}\n`);
    expect(run('inspect', '-f', '{{.Driver}}', 'copy1').stdout).toBe('copy\n');
    expect(run('start', '-a', 'copy1').stdout).toBe(`${LAYERS - 1}\n`);
    expect(run('run', '--rm', 'tall', 'ls', '/c').code).toBe(1);
    expect(run('rm', 'copy1').code).toBe(0);
  });
});
