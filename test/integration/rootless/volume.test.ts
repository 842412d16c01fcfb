import { describe, expect, it, beforeAll } from 'vitest';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { okRun, rootlessStore, subUidBase } from './helpers.js';
import { slipway } from '../image/cli.js';
import { volumeImage } from '../volume/helpers.js';

// Volumes and cp as an ordinary user: a volume belongs to the container's root (this user on
// the host), ids above 0 are the user's subordinate ids, and copies cross the namespace both ways.
const BUSYBOX = 'localhost/busybox';
const IMG = 'localhost/voltest:1';
let work = '';
const store = rootlessStore('slipway-rootless-vol-', (sw) => {
  const ids = sw('ps', '-aq', '--no-trunc').stdout.split('\n').filter(Boolean);
  if (ids.length) sw('rm', '-f', '-v', ...ids);
  // volumes and the test image's snapshots hold files of subordinate ids (a 0750 dir): removed
  // from inside the namespace, where the temp dir's cleanup cannot reach them
  sw('volume', 'prune', '-a', '-f');
  sw('rmi', '-f', IMG);
  rmSync(work, { recursive: true, force: true });
});
const sw = (...a: string[]) => store.sw(...a);
const rootOf = () => JSON.parse(okRun(sw('volume', 'inspect', '-f', '{{json .Mountpoint}}', 'keep')).trim()) as string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'slipway-rootless-cp-'));
  const root = okRun(sw('info', '-f', '{{.DockerRootDir}}')).trim();
  okRun(slipway(root, ['load'], { input: await volumeImage(IMG) }));
});

describe('rootless volumes', () => {
  it("a volume's data is owned by the container's root (this user) and outlives the container", () => {
    okRun(sw('run', '--name', 'w1', '-v', 'keep:/data', BUSYBOX, 'sh', '-c', 'echo kept > /data/f; mkdir /data/u && chown 1000:1000 /data/u'));
    okRun(sw('rm', 'w1'));
    const data = rootOf();
    expect(lstatSync(data).uid).toBe(process.getuid!());
    expect(lstatSync(join(data, 'f')).uid).toBe(process.getuid!());
    expect(lstatSync(join(data, 'u')).uid).toBe(subUidBase() + 999);
    expect(okRun(sw('run', '--rm', '-v', 'keep:/again', BUSYBOX, 'sh', '-c', 'cat /again/f; stat -c %u /again/u'))).toBe('kept\n1000\n');
  });

  it('copy-up keeps the image\'s owners, mapped into the namespace', () => {
    okRun(sw('create', '--name', 'cu', '-v', 'cu:/srv/data', IMG, 'true'));
    const data = JSON.parse(okRun(sw('volume', 'inspect', '-f', '{{json .Mountpoint}}', 'cu')).trim()) as string;
    // outside: the volume's dir belongs to the subordinate id of the image's uid 1000
    expect([lstatSync(data).uid, (lstatSync(data).mode & 0o7777).toString(8)]).toEqual([subUidBase() + 999, '750']);
    // inside the namespace (its 0750 keeps this user out), the image's own owners and modes
    expect(okRun(sw('unshare', 'stat', '-c', '%u:%g %a %n', data, join(data, 'conf'), join(data, 'sub')))).toBe(
      `1000:1000 750 ${data}\n33:44 640 ${join(data, 'conf')}\n1000:1000 700 ${join(data, 'sub')}\n`,
    );
    expect(okRun(sw('start', '-a', 'cu'))).toBe('');
    okRun(sw('rm', '-v', 'cu'));
  });

  it('anonymous volumes go with rm -v; a volume in use is refused; --tmpfs and an option volume mount in the namespace', () => {
    okRun(sw('create', '--name', 'anon', '-v', '/scratch', BUSYBOX, 'true'));
    const name = okRun(sw('inspect', '-f', '{{(index .Mounts 0).Name}}', 'anon')).trim();
    const r = sw('volume', 'rm', name);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`remove ${name}: volume is in use - [`);
    okRun(sw('rm', '-v', 'anon'));
    expect(sw('volume', 'inspect', name).code).toBe(1);
    const out = okRun(sw('run', '--rm', '--tmpfs', '/t:size=1m', '--mount', 'type=volume,src=tv,dst=/o,volume-opt=type=tmpfs,volume-opt=device=tmpfs,volume-opt=o=size=2m', BUSYBOX, 'sh', '-c', 'grep -E " /(t|o) " /proc/mounts | cut -d" " -f2,3 | sort'));
    expect(out).toBe('/o tmpfs\n/t tmpfs\n');
    okRun(sw('volume', 'rm', 'tv'));
  });
});

describe('rootless cp', () => {
  it('copies in and out of a running and a stopped container; owners cross the namespace', () => {
    okRun(sw('run', '-d', '--name', 'box', '-v', 'keep:/vol', BUSYBOX, 'sh', '-c', 'echo hi > /hi && chown 1000:1000 /hi && sleep 100000'));
    writeFileSync(join(work, 'in.txt'), 'from the host\n');
    okRun(sw('cp', join(work, 'in.txt'), 'box:/in.txt'));
    okRun(sw('cp', join(work, 'in.txt'), 'box:/vol/'));
    // the host file is this user's, which is root inside
    expect(okRun(sw('exec', 'box', 'stat', '-c', '%u %n', '/in.txt', '/vol/in.txt'))).toBe('0 /in.txt\n0 /vol/in.txt\n');
    expect(readFileSync(join(rootOf(), 'in.txt'), 'utf8')).toBe('from the host\n');
    const out = join(work, 'out');
    mkdirSync(out);
    okRun(sw('cp', 'box:/hi', out));
    // extracted on the host by this user, whatever its owner inside
    expect([readFileSync(join(out, 'hi'), 'utf8'), lstatSync(join(out, 'hi')).uid]).toEqual(['hi\n', process.getuid!()]);
    okRun(sw('stop', '-t', '0', 'box'));
    okRun(sw('cp', join(work, 'in.txt'), 'box:/stopped.txt'));
    okRun(sw('cp', 'box:/stopped.txt', join(out, 'back.txt')));
    expect(readFileSync(join(out, 'back.txt'), 'utf8')).toBe('from the host\n');
    const miss = sw('cp', 'box:/nope', out);
    expect([miss.code, miss.stderr]).toEqual([1, 'Error: Could not find the file /nope in container box\n']);
    expect(existsSync(join(out, 'nope'))).toBe(false);
    okRun(sw('rm', 'box'));
  });
});
