import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { BUSYBOX, containerStore } from './helpers.js';
import { BIN } from '../image/cli.js';
import { Engine } from '../../../main/engine/engine.js';
import { getArchive, putArchive } from '../../../main/engine/container/archive.js';
import { layerTar } from '../volume/helpers.js';

// docker's own cp CVEs as test cases: CVE-2018-15664 (a symlink swapped in while the copy
// resolves a path), CVE-2019-14271 (docker cp running code from the container), and symlinks
// or ".." in the paths and in the archive pointing outside the container.
let s: ReturnType<typeof containerStore>;
let host: string; // a host directory the container tries to reach
let work: string;
const raw = (args: string[], input?: Buffer) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, SLIPWAY_ROOT: s.root }, input, maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString() };
};
const hostFiles = () => readdirSync(host).sort();

beforeAll(() => {
  s = containerStore();
  host = mkdtempSync(join(tmpdir(), 'slipway-cp-host-'));
  work = mkdtempSync(join(tmpdir(), 'slipway-cp-work-'));
  writeFileSync(join(host, 'secret'), 'HOST\n');
  writeFileSync(join(work, 'payload'), 'payload\n');
}, 600_000);
afterAll(() => {
  s?.cleanup();
  rmSync(host, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe('cp never leaves the container through a path', () => {
  it('absolute and relative symlinks to a host path resolve inside the container, reading and writing', () => {
    const r = s.sw('run', '-d', '--name', 'links', BUSYBOX, 'sh', '-c', `ln -s ${host} /abs; ln -s ../../../../../../../..${host} /rel; mkdir /box; sleep 100000`);
    expect(r.code).toBe(0);
    for (const p of ['/abs/secret', '/rel/secret']) {
      const c = s.sw('cp', `links:${p}`, join(work, 'out'));
      expect([c.code, c.stderr]).toEqual([1, `Error: Could not find the file ${p} in container links\n`]);
    }
    expect(existsSync(join(work, 'out'))).toBe(false);
    // the container's own file of that name is what a copy reaches
    s.sw('exec', 'links', 'sh', '-c', `mkdir -p ${host} && echo INSIDE > ${host}/secret`);
    expect(raw(['cp', 'links:/abs/secret', '-']).stdout.toString()).toContain('INSIDE');
    expect(raw(['cp', 'links:/rel/secret', '-']).stdout.toString()).not.toContain('HOST');
    // writing through the links, and through ".." in the destination
    expect(s.sw('cp', join(work, 'payload'), 'links:/abs/').code).toBe(0);
    expect(s.sw('cp', join(work, 'payload'), `links:/rel/via-rel`).code).toBe(0);
    expect(s.sw('cp', join(work, 'payload'), `links:/../../../../..${host}/via-dots`).code).toBe(0);
    expect(s.sw('exec', 'links', 'ls', host).stdout).toBe('payload\nsecret\nvia-dots\nvia-rel\n');
    expect(hostFiles()).toEqual(['secret']);
    s.sw('rm', '-f', 'links');
  });

  it('an archive on stdin cannot climb out with "..", a symlink it made, or a hard link', () => {
    expect(s.sw('run', '-d', '--name', 'tars', BUSYBOX, 'sh', '-c', 'mkdir /in; sleep 100000').code).toBe(0);
    const dots = raw(['cp', '-', 'tars:/in'], layerTar([{ name: `../../../../../..${host}/dots`, data: 'x' }]));
    expect([dots.code, dots.stderr]).toEqual([1, `Error: refusing to extract "../../../../../..${host}/dots": the path leads outside the destination with ".."; the archive is unsafe\n`]);
    const link = raw(['cp', '-', 'tars:/in'], layerTar([{ name: 'lnk', type: 'symlink', linkname: host }, { name: 'lnk/through-link', data: 'x' }]));
    expect(link.code).toBe(0);
    expect(s.sw('exec', 'tars', 'cat', `${host}/through-link`).stdout).toBe('x'); // inside the container
    const hard = raw(['cp', '-', 'tars:/in'], layerTar([{ name: 'hl', type: 'link', linkname: '../../../../etc/shadow' }]));
    expect([hard.code, hard.stderr]).toEqual([1, 'Error: refusing to extract "../../../../etc/shadow": the path leads outside the destination with ".."; the archive is unsafe\n']);
    const abs = raw(['cp', '-', 'tars:/in'], layerTar([{ name: '/abs-name', data: 'y' }]));
    expect(abs.code).toBe(0);
    expect(s.sw('exec', 'tars', 'cat', '/in/abs-name').stdout).toBe('y');
    expect(hostFiles()).toEqual(['secret']);
    s.sw('rm', '-f', 'tars');
  });

  it('a directory swapped for a symlink to the host while copies run (CVE-2018-15664) never leads outside', async () => {
    const loop = `mkdir -p /w/x && echo INSIDE > /w/x/secret && ln -s ${host} /w/l && while :; do mv /w/x /w/d; mv /w/l /w/x; mv /w/x /w/l; mv /w/d /w/x; done`;
    expect(s.sw('run', '-d', '--name', 'racer', BUSYBOX, 'sh', '-c', loop).code).toBe(0);
    const engine = new Engine(s.root);
    let inside = 0;
    try {
      for (let i = 0; i < 500; i++) {
        try {
          const { tar, done } = await getArchive(engine, 'racer', '/w/x/secret');
          const chunks: Buffer[] = [];
          for await (const c of tar) chunks.push(c as Buffer);
          await done;
          const text = Buffer.concat(chunks).toString('latin1');
          expect(text).not.toContain('HOST');
          if (text.includes('INSIDE')) inside++;
        } catch (e) {
          expect((e as Error).message).toMatch(/Could not find the file|not a directory/);
        }
        try {
          await putArchive(engine, 'racer', '/w/x', Readable.from([layerTar([{ name: `planted-${i}`, data: 'p' }])]), { noOverwriteDirNonDir: true });
        } catch (e) {
          expect((e as Error).message).toMatch(/Could not find the file|extraction point is not a directory|no such file/);
        }
      }
    } finally {
      engine.close();
    }
    expect(inside).toBeGreaterThan(0);
    expect(hostFiles()).toEqual(['secret']);
    // the container kept running through it all (nothing froze it)
    expect(s.sw('inspect', '-f', '{{.State.Status}}', 'racer').stdout).toBe('running\n');
    s.sw('rm', '-f', 'racer');
  });
});

describe('cp runs nothing from the container (CVE-2019-14271)', () => {
  it('copies both ways, running and stopped, with its tar and NSS libraries booby-trapped, and none of them runs', () => {
    const trap = [
      'for t in /bin/tar /usr/bin/tar /sbin/tar; do mkdir -p $(dirname $t); rm -f $t; printf "#!/bin/sh\\ntouch /TRAP-ran-tar\\n" > $t; chmod +x $t; done',
      'for d in /lib /lib64 /lib/x86_64-linux-gnu /usr/lib; do mkdir -p $d; for l in libnss_files.so.2 libnss_dns.so.2 libc.so.6; do echo "not an ELF" > $d/$l; done; done',
      'mkdir /data && echo data > /data/f',
    ].join(' && ');
    expect(s.sw('run', '-d', '--name', 'trapped', BUSYBOX, 'sh', '-c', `${trap} && sleep 100000`).code).toBe(0);
    const d = mkdtempSync(join(work, 'trap-'));
    expect(s.sw('cp', 'trapped:/data', join(d, 'data')).code).toBe(0);
    expect(s.sw('cp', join(work, 'payload'), 'trapped:/data/').code).toBe(0);
    s.sw('stop', '-t', '0', 'trapped');
    expect(s.sw('cp', join(work, 'payload'), 'trapped:/data/again').code).toBe(0);
    expect(s.sw('cp', 'trapped:/data', join(d, 'stopped')).code).toBe(0);
    expect(readdirSync(join(d, 'stopped')).sort()).toEqual(['again', 'f', 'payload']);
    const whole = raw(['cp', 'trapped:/', '-']);
    expect(whole.code).toBe(0);
    expect(whole.stdout.length).toBeGreaterThan(1 << 20); // the whole root, busybox included
    mkdirSync(join(d, 'probe'));
    expect(s.sw('cp', 'trapped:/TRAP-ran-tar', join(d, 'probe')).stderr).toBe('Error: Could not find the file /TRAP-ran-tar in container trapped\n');
    s.sw('rm', 'trapped');
  });
});
