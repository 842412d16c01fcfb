import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BUSYBOX, containerStore } from './helpers.js';
import { BIN } from '../image/cli.js';

let s: ReturnType<typeof containerStore>;
beforeAll(() => {
  s = containerStore();
}, 600_000);
afterAll(() => s?.cleanup());

/** `tar tvf -` of a tar on stdin: "type mode owner size name" per entry, by name. */
function listing(tar: Buffer): Map<string, { type: string; size: number }> {
  const r = spawnSync('tar', ['tvf', '-'], { input: tar, maxBuffer: 64 << 20, encoding: 'utf8' });
  expect(r.status).toBe(0);
  const out = new Map<string, { type: string; size: number }>();
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const f = line.split(/\s+/);
    const name = f.slice(5).join(' ').replace(/ -> .*$/, '').replace(/\/$/, '');
    out.set(name, { type: f[0]![0]!, size: Number(f[2]) });
  }
  return out;
}

/** The CLI with binary stdout (the test helper decodes stdout as text). */
function exportOf(name: string): Buffer {
  const r = spawnSync(process.execPath, [BIN, 'export', name], { env: { ...process.env, SLIPWAY_ROOT: s.root }, maxBuffer: 256 << 20 });
  expect(r.stderr.toString()).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

describe('export', () => {
  it('a stopped container: image + writable layer merged, mount points empty, deletions gone', () => {
    const r = s.sw('run', '--name', 'ex1', BUSYBOX, 'sh', '-c', 'echo hello > /hello.txt; rm /bin/ls; mkdir -p /data/sub; echo x > /data/sub/f; cat /etc/hostname >/seen-hostname');
    expect(r.code).toBe(0);
    const ls = listing(exportOf('ex1'));
    expect(ls.get('hello.txt')).toEqual({ type: '-', size: 6 });
    expect(ls.get('data/sub/f')).toEqual({ type: '-', size: 2 });
    expect(ls.has('bin/ls')).toBe(false);
    expect(ls.has('bin/busybox')).toBe(true);
    // the container saw its hostname through the bind mount; the export has the empty mount point
    expect(ls.get('seen-hostname')!.size).toBeGreaterThan(1);
    for (const f of ['etc/hostname', 'etc/hosts', 'etc/resolv.conf']) expect(ls.get(f)).toEqual({ type: '-', size: 0 });
    for (const d of ['proc', 'sys', 'dev']) expect(ls.get(d)?.type).toBe('d');
    expect([...ls.keys()].filter((n) => n.startsWith('proc/') || n.startsWith('sys/'))).toEqual([]);
  });

  it('a running container: what it wrote so far, none of /proc or /sys', () => {
    expect(s.sw('run', '-d', '--name', 'ex2', BUSYBOX, 'sh', '-c', 'echo live > /live.txt; sleep 1000').code).toBe(0);
    let ls = listing(exportOf('ex2'));
    for (let i = 0; i < 50 && !ls.has('live.txt'); i++) {
      spawnSync('sleep', ['0.1']);
      ls = listing(exportOf('ex2'));
    }
    expect(ls.get('live.txt')).toEqual({ type: '-', size: 5 });
    expect([...ls.keys()].filter((n) => /^(proc|sys|dev)\//.test(n))).toEqual(['dev/null']); // the image's own file
    expect(s.sw('inspect', '-f', '{{.State.Running}}', 'ex2').stdout).toBe('true\n');
  });

  it('export | import - round-trips the filesystem', () => {
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" export ex1 | "${process.execPath}" "${BIN}" import - exported:1`], {
      env: { ...process.env, SLIPWAY_ROOT: s.root },
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    const run = s.sw('run', '--rm', 'exported:1', 'sh', '-c', 'cat /hello.txt /data/sub/f; ls /bin/ls 2>&1; true');
    expect(run.stdout).toBe('hello\nx\nls: /bin/ls: No such file or directory\n');
  });

  it('-o FILE writes the same tar to a file', () => {
    const out = join(s.root, 'ex1.tar');
    const r = s.sw('container', 'export', '-o', out, 'ex1');
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(readFileSync(out).equals(exportOf('ex1'))).toBe(true);
    const bad = s.sw('export', '-o', join(s.root, 'no-such-dir', 'x.tar'), 'ex1');
    expect(bad.code).toBe(1);
    expect(bad.stderr.split('\n').length).toBe(2);
  });

  it('a missing container is one line naming it, exit 1', () => {
    expect(s.sw('export', 'nope')).toEqual({ code: 1, stdout: '', stderr: 'Error: No such container: nope\n' });
  });

  it('streams: a 300 MB file goes through without being held in memory', () => {
    expect(s.sw('run', '--name', 'big', BUSYBOX, 'dd', 'if=/dev/zero', 'of=/big', 'bs=1M', 'count=300').code).toBe(0);
    const out = join(s.root, 'big.tar');
    // GNU time's %M: the export process's peak resident set, in KiB
    const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, BIN, 'export', '-o', out, 'big'], {
      env: { ...process.env, SLIPWAY_ROOT: s.root },
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(statSync(out).size).toBeGreaterThan(300 << 20);
    const peakKiB = Number(r.stderr.trim().split('\n').pop());
    expect(peakKiB).toBeGreaterThan(0);
    expect(peakKiB).toBeLessThan(200 << 10);
  });
});
