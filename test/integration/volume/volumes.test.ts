import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUSYBOX, containerStore, fullId, mountsUnder } from '../container/helpers.js';
import { slipway } from '../image/cli.js';
import { lgetxattr } from '../../../main/engine/util/native.js';
import { storeSnapshot, volumeImage } from './helpers.js';

let s: ReturnType<typeof containerStore>;
let host: string;
const IMG = 'localhost/voltest:1';
const data = (name: string) => join(s.root, 'volumes', name, '_data');

beforeAll(async () => {
  s = containerStore();
  host = mkdtempSync(join(tmpdir(), 'slipway-vol-'));
  const l = slipway(s.root, ['load'], { input: await volumeImage(IMG) });
  if (l.code !== 0) throw new Error(`load: ${l.stderr}`);
}, 600_000);
afterAll(() => {
  s?.cleanup();
  rmSync(host, { recursive: true, force: true });
});

describe('volume verbs', () => {
  it("create, ls, inspect and rm with docker's shapes", () => {
    expect(s.sw('volume', 'create', '--label', 'team=db', 'pgdata').stdout).toBe('pgdata\n');
    expect(s.sw('volume', 'create', 'pgdata').stdout).toBe('pgdata\n'); // an existing name is returned as it is
    const [v] = JSON.parse(s.sw('volume', 'inspect', 'pgdata').stdout) as Record<string, unknown>[];
    expect(v).toEqual({
      CreatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      Driver: 'local',
      Labels: { team: 'db' },
      Mountpoint: data('pgdata'),
      Name: 'pgdata',
      Options: {},
      Scope: 'local',
    });
    expect(lstatSync(data('pgdata')).isDirectory()).toBe(true);
    const anon = s.sw('volume', 'create').stdout.trim();
    expect(anon).toMatch(/^[0-9a-f]{64}$/);
    expect(s.sw('volume', 'inspect', '-f', '{{json .Labels}}', anon).stdout).toBe('{"com.docker.volume.anonymous":""}\n');
    const ls = s.sw('volume', 'ls');
    expect(ls.stdout.split('\n')[0]).toBe('DRIVER    VOLUME NAME');
    expect(ls.stdout).toContain('local     pgdata\n');
    expect(s.sw('volume', 'ls', '-q', '--filter', 'label=team=db').stdout).toBe('pgdata\n');
    expect(s.sw('volume', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Labels}}', '--filter', 'name=^pg').stdout).toBe('pgdata local team=db\n');
    expect(s.sw('inspect', '--type', 'volume', '-f', '{{.Name}}', 'pgdata').stdout).toBe('pgdata\n');
    expect(s.sw('volume', 'rm', 'pgdata', anon).stdout).toBe(`pgdata\n${anon}\n`);
    expect(existsSync(join(s.root, 'volumes', 'pgdata'))).toBe(false);
    const gone = s.sw('volume', 'inspect', 'pgdata');
    expect([gone.code, gone.stderr]).toEqual([1, 'Error: No such volume: pgdata\n']);
    expect(s.sw('volume', 'rm', '-f', 'pgdata').code).toBe(0);
    expect(s.sw('volume', 'rm', 'pgdata').stderr).toBe('Error: No such volume: pgdata\n');
  });

  it('refuses bad names, drivers and options with nothing left behind', () => {
    const before = storeSnapshot(s.root, s.sw);
    for (const [args, msg] of [
      [['my vol'], 'create my vol: "my vol" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path'],
      [['x'], 'create x: volume name is too short, names should be at least two alphanumeric characters'],
      [['-d', 'nfs', 'ok1'], 'create ok1: error looking up volume plugin nfs: plugin "nfs" not found'],
      [['-o', 'bogus=1', 'ok2'], 'create ok2: invalid option: "bogus"'],
      [['-o', 'type=tmpfs', 'ok3'], 'create ok3: missing required option: "device"'],
    ] as const) {
      const r = s.sw('volume', 'create', ...args);
      expect([r.code, r.stderr]).toEqual([1, `Error: ${msg}\n`]);
    }
    expect(storeSnapshot(s.root, s.sw)).toEqual(before);
  });

  it('ls filters dangling, driver and refuses unknown filters', () => {
    s.sw('volume', 'create', 'used1');
    s.sw('volume', 'create', 'idle1');
    s.sw('create', '--name', 'holder', '-v', 'used1:/u', BUSYBOX, 'true');
    expect(s.sw('volume', 'ls', '-q', '-f', 'dangling=true', '-f', 'name=1$').stdout).toBe('idle1\n');
    expect(s.sw('volume', 'ls', '-q', '-f', 'dangling=false').stdout).toBe('used1\n');
    expect(s.sw('volume', 'ls', '-q', '-f', 'driver=local', '-f', 'name=used').stdout).toBe('used1\n');
    const bad = s.sw('volume', 'ls', '-f', 'colour=red');
    expect([bad.code, bad.stderr]).toEqual([1, "Error: invalid filter 'colour'\n"]);
    s.sw('rm', 'holder');
    s.sw('volume', 'rm', 'used1', 'idle1');
  });
});

describe('volumes in containers', () => {
  it("a named volume is created by run, and its data outlives the container into the next one", () => {
    const w = s.sw('run', '--name', 'writer', '-v', 'keep:/data', BUSYBOX, 'sh', '-c', 'echo kept > /data/f; mkdir /data/d');
    expect(w.code).toBe(0);
    expect(s.sw('volume', 'ls', '-q').stdout).toContain('keep\n');
    expect(JSON.parse(s.sw('inspect', '-f', '{{json .Mounts}}', 'writer').stdout)).toEqual([
      { Type: 'volume', Name: 'keep', Source: data('keep'), Destination: '/data', Driver: 'local', Mode: 'z', RW: true, Propagation: '' },
    ]);
    expect(s.sw('rm', 'writer').code).toBe(0);
    expect(readFileSync(join(data('keep'), 'f'), 'utf8')).toBe('kept\n');
    expect(s.sw('run', '--rm', '-v', 'keep:/again:ro', BUSYBOX, 'sh', '-c', 'cat /again/f; touch /again/x 2>/dev/null || echo read-only').stdout).toBe('kept\nread-only\n');
    expect(s.sw('volume', 'rm', 'keep').code).toBe(0);
  });

  it("copy-up: a new volume over a directory of the image gets its files, owners, modes, xattrs and links, once", () => {
    const r = s.sw('run', '--name', 'cu', '-v', 'cu:/srv/data', IMG, 'sh', '-c', 'cat /srv/data/conf; echo added > /srv/data/new; rm /srv/data/sub/secret');
    expect(r.stdout).toBe('from the image\n');
    const d = data('cu');
    const st = (p: string) => {
      const x = lstatSync(join(d, p));
      return [x.uid, x.gid, (x.mode & 0o7777).toString(8)];
    };
    expect(st('.')).toEqual([1000, 1000, '750']);
    expect(st('conf')).toEqual([33, 44, '640']);
    expect(st('sub')).toEqual([1000, 1000, '700']);
    expect(lstatSync(join(d, 'hard')).ino).toBe(lstatSync(join(d, 'conf')).ino);
    expect(lstatSync(join(d, 'link')).isSymbolicLink()).toBe(true);
    expect(lgetxattr(d, 'user.origin')?.toString()).toBe('image');
    expect(readdirSync(join(s.root, 'volumes', 'cu'))).toEqual(['_data']); // the copy's temp dir is gone
    // once: a volume with files is never filled again, its changes stay
    s.sw('rm', 'cu');
    expect(s.sw('run', '--rm', '-v', 'cu:/srv/data', IMG, 'sh', '-c', 'ls /srv/data/sub; cat /srv/data/new').stdout).toBe('added\n');
    // volume-nocopy and binds are never filled
    expect(s.sw('run', '--rm', '--mount', 'type=volume,src=nocp,dst=/srv/data,volume-nocopy', IMG, 'ls', '-A', '/srv/data').stdout).toBe('');
    expect(s.sw('run', '--rm', '-v', `${host}:/srv/data`, IMG, 'ls', '-A', '/srv/data').stdout).toBe('');
    s.sw('volume', 'rm', 'cu', 'nocp');
  });

  it('an image VOLUME and -v /path are anonymous volumes: rm keeps them, rm -v and --rm remove them', () => {
    const before = s.sw('volume', 'ls', '-q').stdout;
    s.sw('create', '--name', 'anon1', '-v', '/scratch', IMG, 'true');
    const mounts = JSON.parse(s.sw('inspect', '-f', '{{json .Mounts}}', 'anon1').stdout) as { Name: string; Destination: string; Mode: string }[];
    expect(mounts.map((m) => m.Destination).sort()).toEqual(['/scratch', '/srv/data']);
    for (const m of mounts) {
      expect(m.Name).toMatch(/^[0-9a-f]{64}$/);
      expect(m.Mode).toBe('');
      expect(s.sw('volume', 'inspect', '-f', '{{json .Labels}}', m.Name).stdout).toBe('{"com.docker.volume.anonymous":""}\n');
    }
    const image = mounts.find((m) => m.Destination === '/srv/data')!;
    expect(readFileSync(join(data(image.Name), 'conf'), 'utf8')).toBe('from the image\n'); // copied up at create
    s.sw('rm', 'anon1');
    for (const m of mounts) expect(existsSync(data(m.Name))).toBe(true);
    s.sw('volume', 'rm', ...mounts.map((m) => m.Name));

    s.sw('create', '--name', 'anon2', IMG, 'true');
    const name = s.sw('inspect', '-f', '{{(index .Mounts 0).Name}}', 'anon2').stdout.trim();
    expect(s.sw('rm', '-v', 'anon2').code).toBe(0);
    expect(existsSync(join(s.root, 'volumes', name))).toBe(false);

    expect(s.sw('run', '--rm', '-v', 'named-kept:/n', IMG, 'true').code).toBe(0);
    expect(s.sw('volume', 'ls', '-q').stdout).toBe(`${before}named-kept\n`); // --rm: anonymous gone, named kept
    s.sw('volume', 'rm', 'named-kept');
  });

  it("a volume in use cannot be removed, even with -f: docker's words, exit 1, the container named", () => {
    s.sw('create', '--name', 'user1', '-v', 'busy:/b', BUSYBOX, 'true');
    const id = fullId(s.sw, 'user1');
    for (const args of [['busy'], ['-f', 'busy']]) {
      const r = s.sw('volume', 'rm', ...args);
      expect([r.code, r.stderr]).toEqual([1, `Error: remove busy: volume is in use - [${id}]\n`]);
    }
    expect(existsSync(data('busy'))).toBe(true);
    expect(s.sw('volume', 'prune', '-a', '-f').stdout).not.toContain('busy');
    s.sw('rm', 'user1');
    expect(s.sw('volume', 'rm', 'busy').code).toBe(0);
  });

  it('--mount bind/tmpfs/volume with options, --tmpfs and --volumes-from', () => {
    writeFileSync(join(host, 'hostfile'), 'on the host\n');
    const r = s.sw('run', '--rm',
      '--mount', `type=bind,src=${host},dst=/h,readonly`,
      '--mount', 'type=tmpfs,dst=/t,tmpfs-size=2m,tmpfs-mode=1770',
      '--mount', 'type=volume,src=optvol,dst=/o,volume-opt=type=tmpfs,volume-opt=device=tmpfs,volume-opt=o=size=3m',
      '--tmpfs', '/run2:size=1m',
      BUSYBOX, 'sh', '-c', 'cat /h/hostfile; touch /h/x 2>/dev/null || echo ro; stat -c %a /t; grep -E " /(t|o|run2) " /proc/mounts | cut -d" " -f2,3,4 | sed "s/,relatime//"');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('on the host\nro\n1770\n/t tmpfs rw,nosuid,nodev,noexec,size=2048k,mode=1770\n/o tmpfs rw,size=3072k\n/run2 tmpfs rw,nosuid,nodev,noexec,size=1024k\n');
    // an option volume is mounted only while a container uses it
    expect(mountsUnder(join(s.root, 'volumes'))).toEqual([]);
    expect(s.sw('volume', 'inspect', '-f', '{{json .Options}}', 'optvol').stdout).toBe('{"type":"tmpfs","device":"tmpfs","o":"size=3m"}\n');

    s.sw('run', '--name', 'datactr', '-v', 'shared:/shared', '-v', `${host}:/hostdir`, BUSYBOX, 'sh', '-c', 'echo from-data > /shared/f');
    const f = s.sw('run', '--rm', '--volumes-from', 'datactr:ro', BUSYBOX, 'sh', '-c', 'cat /shared/f /hostdir/hostfile; echo x > /shared/g 2>/dev/null || echo ro');
    expect(f.stdout).toBe('from-data\non the host\nro\n');
    const rw = s.sw('run', '--name', 'vf', '--volumes-from', 'datactr', BUSYBOX, 'sh', '-c', 'echo w > /shared/g && echo rw');
    expect(rw.stdout).toBe('rw\n');
    // a container using a volume through --volumes-from is one of its users too
    expect(s.sw('volume', 'rm', 'shared').stderr).toContain('volume is in use');
    s.sw('rm', 'vf', 'datactr');
    s.sw('volume', 'rm', 'shared', 'optvol');
  });

  it('every bad -v/--mount/--tmpfs/--volumes-from leaves no volume, dir or container', () => {
    const before = storeSnapshot(s.root, s.sw);
    for (const [args, msg] of [
      [['-v', 'a:b:c:d'], "invalid volume specification: 'a:b:c:d'"],
      [['-v', 'ok-new:/x', '-v', '/y:rw'], "invalid volume specification: '/y:rw'"],
      [['-v', 'ok-new:/x', '-v', 'other:/x'], 'Duplicate mount point: /x'],
      [['-v', 'ok-new:/x', '--tmpfs', '/x'], 'Duplicate mount point: /x'],
      [['-v', 'bad name:/x'], '"bad name" includes invalid characters for a local volume name'],
      [['-v', 'ok-new:/x', '--mount', 'type=bind,src=/no/such/dir,dst=/b'], 'invalid mount config for type "bind": bind source path does not exist: /no/such/dir'],
      [['-v', 'ok-new:/x', '--mount', 'type=volume,src=ok2,dst=/y,volume-opt=bogus=1'], 'create ok2: invalid option: "bogus"'],
      [['--mount', 'type=weird,dst=/w'], 'invalid mount config for type "weird": mount type unknown'],
      [['--mount', 'type=bind,dst=/w,nope=1'], `invalid argument "type=bind,dst=/w,nope=1" for "--mount" flag: unknown option 'nope' in 'nope=1'`],
      [['--tmpfs', 'relative'], "invalid mount path: 'relative' mount path must be absolute"],
      [['-v', 'ok-new:/x', '--volumes-from', 'no-such-ctr'], 'No such container: no-such-ctr'],
      [['-v', 'ok-new:/etc/app.conf:ro'], ''], // fine at create (a volume over a file fails in runc at start)
    ] as const) {
      const r = s.sw('create', ...args, IMG, 'true');
      if (!msg) {
        expect(r.code).toBe(0);
        s.sw('rm', '-v', r.stdout.trim());
        s.sw('volume', 'rm', 'ok-new');
        continue;
      }
      expect(r.code, args.join(' ')).toBe(125);
      expect(r.stderr).toContain(msg);
      expect(r.stderr.split('\n').length).toBe(2); // one line
      expect(storeSnapshot(s.root, s.sw)).toEqual(before);
    }
  });

  it('an image VOLUME over a file is refused at create, nothing left', async () => {
    const { handmadeArchive } = await import('../image/cli.js');
    const { layerTar } = await import('./helpers.js');
    const base = readFileSync(join((await import('../../helpers/tmp-store.js')).FIXTURES, 'busybox-rootfs.tar'));
    const l = slipway(s.root, ['load'], { input: await handmadeArchive([{ layers: [base, layerTar([{ name: 'afile', data: 'x' }])], tags: ['localhost/volfile:1'], config: { config: { Cmd: ['sh'], Volumes: { '/afile': {} } } } }]) });
    expect(l.code).toBe(0);
    const before = storeSnapshot(s.root, s.sw);
    const r = s.sw('create', 'localhost/volfile:1');
    expect([r.code, r.stderr]).toEqual([125, 'Error: cannot mount volume over existing file, file exists /afile\n']);
    expect(storeSnapshot(s.root, s.sw)).toEqual(before);
  });

  it('prune removes unused anonymous volumes, -a all unused ones, --filter by label', () => {
    s.sw('volume', 'create', '--label', 'keep=yes', 'labelled');
    s.sw('volume', 'create', 'plain');
    const anon = s.sw('volume', 'create').stdout.trim();
    writeFileSync(join(data(anon), 'f'), 'x'.repeat(1000));
    s.sw('create', '--name', 'pin', '-v', 'pinned:/p', BUSYBOX, 'true');
    const p1 = s.sw('volume', 'prune', '-f');
    expect(p1.stdout).toBe(`Deleted Volumes:\n${anon}\n\nTotal reclaimed space: 1kB\n`);
    expect(s.sw('volume', 'prune', '-f', '-a', '--filter', 'label!=keep').stdout).toBe('Deleted Volumes:\nplain\n\nTotal reclaimed space: 0B\n');
    expect(s.sw('volume', 'ls', '-q').stdout).toBe('labelled\npinned\n');
    expect(s.sw('volume', 'prune', '-f', '-a').stdout).toBe('Deleted Volumes:\nlabelled\n\nTotal reclaimed space: 0B\n');
    expect(s.sw('volume', 'prune', '-f', '--filter', 'colour=red').stderr).toBe("Error: invalid filter 'colour'\n");
    s.sw('rm', 'pin');
    s.sw('volume', 'rm', 'pinned');
  });

  it('system df counts local volumes, and -v lists them with LINKS and SIZE', () => {
    s.sw('volume', 'create', 'dfvol');
    writeFileSync(join(data('dfvol'), 'f'), 'y'.repeat(2048));
    s.sw('create', '--name', 'dfc', '-v', 'dfvol:/d', BUSYBOX, 'true');
    const df = s.sw('system', 'df', '--format', '{{.Type}} {{.TotalCount}} {{.Active}} {{.Size}}').stdout;
    expect(df).toContain('Local Volumes 1 1 2.048kB\n');
    const v = s.sw('system', 'df', '-v').stdout;
    expect(v).toMatch(/Local Volumes space usage:\n\nVOLUME NAME +LINKS +SIZE\ndfvol +1 +2\.048kB\n/);
    expect(v).toMatch(/dfc\n/);
    s.sw('rm', 'dfc');
    s.sw('volume', 'rm', 'dfvol');
  });

  it('system check finds a volume dir without a row and a row without its dir; --repair fixes both; events say what happened', () => {
    const stray = join(s.root, 'volumes', 'stray');
    mkdirSync(join(stray, '_data'), { recursive: true });
    const old = new Date(Date.now() - 3600_000);
    utimesSync(stray, old, old);
    s.sw('volume', 'create', 'lostdir');
    rmSync(join(s.root, 'volumes', 'lostdir'), { recursive: true });
    const c = s.sw('system', 'check');
    expect(c.code).toBe(1);
    expect(c.stdout).toContain(`orphan-volume-dir: ${stray}: no volume row\n`);
    expect(c.stdout).toContain('missing-volume-dir: volume lostdir: its directory is missing\n');
    expect(s.sw('system', 'check', '--repair').code).toBe(0);
    expect(existsSync(stray)).toBe(false);
    expect(lstatSync(data('lostdir')).isDirectory()).toBe(true);
    expect(s.sw('system', 'check').code).toBe(0);
    s.sw('volume', 'rm', 'lostdir');
    expect(s.sw('events', '--since', '10m', '--until', '0s', '--filter', 'type=volume', '--format', '{{.Action}} {{.Actor.ID}}').stdout).toContain('create lostdir\ndestroy lostdir\n');
  });
});
