import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { api, docker, startService, tarOf, tmpDir, type Service } from './harness.js';

/**
 * docker cp (PUT/GET /containers/{id}/archive) is root on the host: nothing a tar or a
 * container does may make the service write or read outside the container's filesystem.
 */
describe('archive security: nothing lands outside the container root', () => {
  let svc: Service;
  let id: string;
  const marker = `slipway-escape-${process.pid}`;
  const hostHits = () => [join('/', marker), join('/tmp', marker), join('/etc', marker)].filter((p) => existsSync(p));
  const put = (path: string, tar: Buffer) => api(svc, 'PUT', `/containers/${id}/archive?path=${encodeURIComponent(path)}`, { body: tar, headers: { 'Content-Type': 'application/x-tar' } });
  const exec = (...cmd: string[]) => docker(svc, ['exec', id, ...cmd]);

  beforeAll(async () => {
    svc = await startService();
    id = docker(svc, ['run', '-d', 'busybox', 'sh', '-c', 'mkdir -p /w/d && ln -s / /w/rootlink && ln -s /tmp /w/tmplink && sleep 600']).stdout.trim();
  });
  afterAll(async () => {
    for (const p of hostHits()) rmSync(p, { force: true });
    await svc?.stop();
  });

  it('refuses entries that climb out with .. and hard links out (400, nothing written); an absolute name stays under the destination, as docker strips its "/"', async () => {
    for (const [name, tar] of [
      ['dotdot', tarOf({ [`../../../../${marker}`]: 'x' })],
      ['hardlink', tarOf({ [`${marker}-link`]: { type: 'hardlink', linkname: '../../../etc/passwd' } })],
    ] as const) {
      const r = await put('/w/d', tar);
      expect(r.status, name).toBe(400);
      expect((r.json() as { message: string }).message, name).toMatch(/unsafe/);
    }
    const abs = await put('/w/d', tarOf({ [`/tmp/${marker}-abs`]: 'x' }));
    expect(abs.status).toBe(200);
    expect(exec('cat', `/w/d/tmp/${marker}-abs`).stdout).toBe('x');
    expect(hostHits()).toEqual([]);
  });

  it('a symlink entry followed by a file "through" it resolves inside the container (the link re-rooted), never on the host', async () => {
    const r = await put('/w/d', tarOf({ evil: { type: 'symlink', linkname: '/' }, [`evil/tmp/${marker}-through`]: 'x' }));
    expect(r.status).toBe(200);
    expect(exec('cat', `/tmp/${marker}-through`).stdout).toBe('x');
    expect(existsSync(join('/tmp', `${marker}-through`))).toBe(false);
    expect(hostHits()).toEqual([]);
  });

  it('a destination that is a symlink in the container resolves inside the container (re-rooted), never on the host', async () => {
    const r = await put('/w/rootlink/tmp', tarOf({ [marker]: 'in the container' }));
    expect(r.status).toBe(200);
    expect(hostHits()).toEqual([]);
    expect(exec('cat', `/tmp/${marker}`).stdout).toBe('in the container');
    const viaLink = await put('/w/tmplink', tarOf({ [`${marker}-2`]: 'also inside' }));
    expect(viaLink.status).toBe(200);
    expect(exec('cat', `/tmp/${marker}-2`).stdout).toBe('also inside');
    expect(existsSync(join('/tmp', `${marker}-2`))).toBe(false);
  });

  it('GET of a path through a container symlink reads the container\'s file, not the host\'s', async () => {
    exec('sh', '-c', 'echo container-hostname-file > /etc/slipway-probe');
    writeFileSync(join(svc.root, 'host-only-file'), 'secret on the host');
    const r = await api(svc, 'GET', `/containers/${id}/archive?path=${encodeURIComponent('/w/rootlink/etc/slipway-probe')}`);
    expect(r.status).toBe(200);
    expect(r.body.toString()).toContain('container-hostname-file');
    const hostPath = join(svc.root, 'host-only-file').slice(1);
    const miss = await api(svc, 'GET', `/containers/${id}/archive?path=${encodeURIComponent(`/w/rootlink/${hostPath}`)}`);
    expect(miss.status, miss.body.toString()).toBe(404);
    expect(miss.body.toString()).not.toContain('secret on the host');
  });

  it('CVE-2018-15664: a container swapping a directory for a symlink to / during docker cp cannot redirect the write', async () => {
    // The container renames /w/race between a real directory and a symlink to / as fast as it can.
    exec('sh', '-c', 'mkdir -p /w/race-dir; (while true; do mv /w/race-dir /w/race-real 2>/dev/null; ln -sfn / /w/race-dir; rm -f /w/race-dir; mv /w/race-real /w/race-dir 2>/dev/null; done) > /dev/null 2>&1 & echo $! > /w/race.pid');
    let ok = 0;
    for (let i = 0; i < 60; i++) {
      // many small files per copy: the window between resolving the path and writing is wide
      const files = Object.fromEntries(Array.from({ length: 30 }, (_, j) => [`${marker}-race-${i}-${j}`, 'x']));
      const r = await put('/w/race-dir', tarOf(files));
      if (r.status === 200) ok++;
    }
    expect(ok).toBeGreaterThan(0);
    expect(readdirSync('/').filter((n) => n.startsWith(marker))).toEqual([]);
    // What got through went into the container (its root or the real directory), never the host's.
    exec('sh', '-c', 'kill $(cat /w/race.pid)');
    const inside = exec('sh', '-c', `find / -xdev -name '${marker}-race-*' | wc -l`).stdout.trim();
    expect(Number(inside)).toBe(ok * 30);
  });

  it('CVE-2019-14271: docker cp never loads a library from the container (its nsswitch and libnss are never mapped)', async () => {
    const dir = tmpDir(svc, 'nss-');
    const flag = join(dir, 'loaded');
    writeFileSync(join(dir, 'evil.c'), `#include <stdio.h>\n__attribute__((constructor)) static void hit(void) { FILE *f = fopen("${flag}", "w"); if (f) fclose(f); }\n`);
    const cc = spawnSync('gcc', ['-shared', '-fPIC', '-o', join(dir, 'libnss_files.so.2'), join(dir, 'evil.c')], { encoding: 'utf8' });
    expect(cc.status, cc.stderr).toBe(0);
    for (const d of ['/lib', '/lib64', '/lib/x86_64-linux-gnu']) {
      exec('mkdir', '-p', d);
      expect(docker(svc, ['cp', join(dir, 'libnss_files.so.2'), `${id}:${d}/libnss_files.so.2`]).code).toBe(0);
    }
    exec('sh', '-c', 'printf "passwd: files\\ngroup: files\\n" > /etc/nsswitch.conf');
    const out = join(dir, 'out');
    expect(docker(svc, ['cp', `${id}:/etc/passwd`, out]).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/^root:/);
    expect(docker(svc, ['cp', out, `${id}:/tmp/passwd-copy`]).code).toBe(0);
    expect(existsSync(flag)).toBe(false);
    const maps = readFileSync(`/proc/${svc.proc.pid}/maps`, 'utf8');
    expect(maps).not.toContain(join(svc.root, 'containers'));
  });

  it('an invalid tar (not a tar, a truncated one, an unsafe name late in it) is answered 400 and writes nothing', async () => {
    const before = exec('ls', '/w/d').stdout;
    const late = await put('/w/d', tarOf({ 'fine-first.txt': 'ok', [`../${marker}`]: 'x' }));
    expect(late.status).toBe(400);
    const junk = await put('/w/d', Buffer.from('definitely not a tar archive '.repeat(50)));
    expect(junk.status).toBe(400);
    const full = tarOf({ 'truncated.txt': 'y'.repeat(5000) });
    const cut = await put('/w/d', full.subarray(0, 1024 + 512));
    expect(cut.status).toBe(400);
    expect(exec('ls', '/w/d').stdout).toBe(before);
    const notDir = await put('/etc/passwd', tarOf({ a: 'b' }));
    expect(notDir.status).toBe(400);
    expect((notDir.json() as { message: string }).message).toMatch(/not a directory/);
    const missing = await put('/no/such/dir', tarOf({ a: 'b' }));
    expect(missing.status).toBe(404);
  });
});
