import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUSYBOX, containerStore, mountsUnder } from './helpers.js';
import { spawnSync } from 'node:child_process';
import { BIN, sh } from '../image/cli.js';

/** The CLI with binary stdin/stdout (tar streams). */
const raw = (args: string[], input?: Buffer) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, SLIPWAY_ROOT: s.root }, input, maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString() };
};

let s: ReturnType<typeof containerStore>;
let h: string; // the host side of every copy
let n = 0;
/** A fresh host directory for one case. */
const fresh = () => {
  const d = join(h, `case${++n}`);
  mkdirSync(d);
  return d;
};
const tree = (d: string): string[] => {
  const out: string[] = [];
  const walk = (p: string, rel: string) => {
    for (const name of readdirSync(p).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      out.push(lstatSync(join(p, name)).isDirectory() ? `${r}/` : r);
      if (lstatSync(join(p, name)).isDirectory()) walk(join(p, name), r);
    }
  };
  walk(d, '');
  return out;
};
/** What the container holds under a path, one line per entry ("dir/" for directories). */
const inCtr = (ctr: string, path: string) => s.sw('exec', ctr, 'sh', '-c', `cd ${path} && find . | sort | sed -e 's#^\\./##' -e '/^\\.$/d' | while read f; do [ -d "$f" ] && echo "$f/" || echo "$f"; done`).stdout.split('\n').filter(Boolean);

beforeAll(() => {
  s = containerStore();
  h = mkdtempSync(join(tmpdir(), 'slipway-cp-'));
  // /src: a file and a directory with a subdirectory, as docker's docs use them
  const r = s.sw('run', '-d', '--name', 'box', '-v', 'cpvol:/vol', '-v', `${h}:/hostbind`, '-v', 'rovol:/ro:ro', BUSYBOX, 'sh', '-c',
    'mkdir -p /src/dir/sub /dst/existing-dir && echo file > /src/file && echo a > /src/dir/a && echo b > /src/dir/sub/b && echo old > /dst/existing-file && ln -s /src/file /src/link && sleep 100000');
  if (r.code !== 0) throw new Error(r.stderr);
}, 600_000);
afterAll(() => {
  s?.cleanup();
  rmSync(h, { recursive: true, force: true });
});

describe('cp out of a container: docker\'s rules for slashes and dots', () => {
  it('a file: to a new name, into an existing directory, over an existing file; not to a missing "dir/"', () => {
    const d = fresh();
    expect(s.sw('cp', 'box:/src/file', join(d, 'new')).code).toBe(0);
    expect(readFileSync(join(d, 'new'), 'utf8')).toBe('file\n');
    mkdirSync(join(d, 'into'));
    expect(s.sw('cp', 'box:/src/file', join(d, 'into')).code).toBe(0);
    expect(tree(join(d, 'into'))).toEqual(['file']);
    writeFileSync(join(d, 'over'), 'previous');
    expect(s.sw('cp', 'box:/src/file', join(d, 'over')).code).toBe(0);
    expect(readFileSync(join(d, 'over'), 'utf8')).toBe('file\n');
    const r = s.sw('cp', 'box:/src/file', `${join(d, 'missing')}/`);
    expect([r.code, r.stderr]).toEqual([1, 'Error: no such directory\n']);
  });

  it('a directory: to a new name (its contents), into an existing one, "/." copies its contents, onto a file fails', () => {
    const d = fresh();
    expect(s.sw('cp', 'box:/src/dir', join(d, 'new')).code).toBe(0);
    expect(tree(join(d, 'new'))).toEqual(['a', 'sub/', 'sub/b']);
    mkdirSync(join(d, 'into'));
    expect(s.sw('cp', 'box:/src/dir', join(d, 'into')).code).toBe(0);
    expect(tree(join(d, 'into'))).toEqual(['dir/', 'dir/a', 'dir/sub/', 'dir/sub/b']);
    mkdirSync(join(d, 'dot'));
    expect(s.sw('cp', 'box:/src/dir/.', join(d, 'dot')).code).toBe(0);
    expect(tree(join(d, 'dot'))).toEqual(['a', 'sub/', 'sub/b']);
    expect(s.sw('cp', 'box:/src/dir/', join(d, 'slash')).code).toBe(0);
    expect(tree(join(d, 'slash'))).toEqual(['a', 'sub/', 'sub/b']);
    writeFileSync(join(d, 'afile'), 'x');
    const r = s.sw('cp', 'box:/src/dir', join(d, 'afile'));
    expect([r.code, r.stderr]).toEqual([1, 'Error: cannot copy directory\n']);
  });

  it('a symlink is copied as a link; -L copies what it points at under the link\'s name', () => {
    const d = fresh();
    expect(s.sw('cp', 'box:/src/link', d).code).toBe(0);
    expect(readlinkSync(join(d, 'link'))).toBe('/src/file');
    const e = fresh();
    expect(s.sw('cp', '-L', 'box:/src/link', e).code).toBe(0);
    expect(lstatSync(join(e, 'link')).isFile()).toBe(true);
    expect(readFileSync(join(e, 'link'), 'utf8')).toBe('file\n');
  });

  it('"-" writes a tar to stdout, named as docker names its entries (GNU tar reads it)', () => {
    const t = fresh();
    const tar = raw(['cp', 'box:/src/dir', '-']);
    expect(tar.code).toBe(0);
    writeFileSync(join(t, 'out.tar'), tar.stdout);
    expect(sh('tar', ['-tf', join(t, 'out.tar')]).split('\n').filter(Boolean)).toEqual(['dir/', 'dir/a', 'dir/sub/', 'dir/sub/b']);
    writeFileSync(join(t, 'dot.tar'), raw(['cp', 'box:/src/dir/.', '-']).stdout);
    expect(sh('tar', ['-tf', join(t, 'dot.tar')]).split('\n').filter(Boolean)).toEqual(['./', './a', './sub/', './sub/b']);
    writeFileSync(join(t, 'file.tar'), raw(['cp', 'box:/src/file', '-']).stdout);
    expect(sh('tar', ['-tvf', join(t, 'file.tar')])).toMatch(/^-rw-r--r-- 0\/0 +5 .* file\n$/);
  });

  it('refuses what does not exist with docker\'s words', () => {
    const d = fresh();
    const r = s.sw('cp', 'box:/no/such', d);
    expect([r.code, r.stderr]).toEqual([1, 'Error: Could not find the file /no/such in container box\n']);
    const p = s.sw('cp', 'box:/src/file', join(d, 'no', 'parent'));
    expect(p.code).toBe(1);
    expect(p.stderr).toBe(`Error: invalid output path: directory "${join(d, 'no')}" does not exist\n`);
    expect(s.sw('cp', 'nosuchctr:/x', d).stderr).toBe('Error: No such container: nosuchctr\n');
    expect(s.sw('cp', join(d, 'a'), join(d, 'b')).stderr).toBe('Error: must specify at least one container source\n');
    expect(s.sw('cp', 'box:/a', 'box:/b').stderr).toBe('Error: copying between containers is not supported\n');
  });
});

describe('cp into a container', () => {
  it('a file and a directory, with the same rules; writes land in the writable layer', () => {
    const d = fresh();
    writeFileSync(join(d, 'f.txt'), 'host file\n');
    mkdirSync(join(d, 'tree', 'deep'), { recursive: true });
    writeFileSync(join(d, 'tree', 'deep', 'x'), 'x\n');
    expect(s.sw('cp', join(d, 'f.txt'), 'box:/dst/existing-dir').code).toBe(0);
    expect(s.sw('cp', join(d, 'f.txt'), 'box:/dst/renamed.txt').code).toBe(0);
    expect(s.sw('cp', join(d, 'f.txt'), 'box:/dst/existing-file').code).toBe(0);
    expect(s.sw('cp', join(d, 'tree'), 'box:/dst/newtree').code).toBe(0);
    expect(s.sw('cp', join(d, 'tree'), 'box:/dst/existing-dir').code).toBe(0);
    expect(s.sw('cp', `${join(d, 'tree')}/.`, 'box:/dst').code).toBe(0);
    expect(inCtr('box', '/dst')).toEqual([
      'deep/', 'deep/x', 'existing-dir/', 'existing-dir/f.txt', 'existing-dir/tree/', 'existing-dir/tree/deep/', 'existing-dir/tree/deep/x',
      'existing-file', 'newtree/', 'newtree/deep/', 'newtree/deep/x', 'renamed.txt',
    ]);
    expect(s.sw('exec', 'box', 'cat', '/dst/existing-file').stdout).toBe('host file\n');
    expect(s.sw('diff', 'box').stdout).toContain('A /dst/renamed.txt\n');
    const nd = s.sw('cp', join(d, 'f.txt'), 'box:/dst/nope/');
    expect([nd.code, nd.stderr]).toEqual([1, 'Error: no such directory\n']);
    const df = s.sw('cp', join(d, 'tree'), 'box:/dst/existing-file');
    expect([df.code, df.stderr]).toEqual([1, 'Error: cannot copy directory\n']);
    const miss = s.sw('cp', join(d, 'f.txt'), 'box:/no/such/dir/f');
    expect([miss.code, miss.stderr]).toEqual([1, 'Error: Could not find the file /no/such/dir in container box\n']);
    const src = s.sw('cp', join(d, 'absent'), 'box:/dst');
    expect([src.code, src.stderr]).toEqual([1, `Error: lstat ${join(d, 'absent')}: no such file or directory\n`]);
  });

  it('into a volume or a bind mounted there, as docker does; a read-only volume is refused', () => {
    const d = fresh();
    writeFileSync(join(d, 'v.txt'), 'to the volume\n');
    expect(s.sw('cp', join(d, 'v.txt'), 'box:/vol/').code).toBe(0);
    expect(readFileSync(join(s.root, 'volumes', 'cpvol', '_data', 'v.txt'), 'utf8')).toBe('to the volume\n');
    expect(s.sw('cp', join(d, 'v.txt'), 'box:/hostbind/from-cp.txt').code).toBe(0);
    expect(readFileSync(join(h, 'from-cp.txt'), 'utf8')).toBe('to the volume\n');
    expect(s.sw('diff', 'box').stdout).not.toContain('/vol/v.txt');
    const ro = s.sw('cp', join(d, 'v.txt'), 'box:/ro/');
    expect([ro.code, ro.stderr]).toEqual([1, 'Error: mounted volume is marked read-only\n']);
    // and out of them again
    expect(s.sw('cp', 'box:/vol/v.txt', join(d, 'back.txt')).code).toBe(0);
    expect(readFileSync(join(d, 'back.txt'), 'utf8')).toBe('to the volume\n');
  });

  it('"-" reads a tar from stdin into a directory, and only a directory', () => {
    const t = raw(['cp', 'box:/src/dir', '-']).stdout;
    const r = raw(['cp', '-', 'box:/dst/existing-dir'], t);
    expect(r.code).toBe(0);
    expect(inCtr('box', '/dst/existing-dir/dir')).toEqual(['a', 'sub/', 'sub/b']);
    const f = raw(['cp', '-', 'box:/dst/existing-file'], t);
    expect([f.code, f.stderr]).toEqual([1, 'Error: destination "box:/dst/existing-file" must be a directory\n']);
  });

  it('owners: the archive\'s by default, the container user\'s with -a; never a directory replaced by a file', () => {
    const d = fresh();
    writeFileSync(join(d, 'owned'), 'o');
    chownSync(join(d, 'owned'), 4321, 8765);
    expect(s.sw('cp', join(d, 'owned'), 'box:/dst/').code).toBe(0);
    expect(s.sw('exec', 'box', 'stat', '-c', '%u:%g', '/dst/owned').stdout).toBe('4321:8765\n');
    s.sw('run', '-d', '--name', 'usered', '-u', '1234:5678', BUSYBOX, 'sleep', '100000');
    expect(s.sw('cp', '-a', join(d, 'owned'), 'usered:/tmp/').code).toBe(0);
    expect(s.sw('exec', 'usered', 'stat', '-c', '%u:%g', '/tmp/owned').stdout).toBe('1234:5678\n');
    s.sw('rm', '-f', 'usered');
    mkdirSync(join(d, 'clash'));
    writeFileSync(join(d, 'clash', 'existing-dir'), 'a file named like a directory');
    const r = s.sw('cp', `${join(d, 'clash')}/.`, 'box:/dst');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error: cannot overwrite directory "/dst/existing-dir" with non-directory "./existing-dir"\n');
  });
});

describe('cp with a stopped container', () => {
  it('mounts its layers for the copy, both ways, and unmounts them after', () => {
    s.sw('create', '--name', 'parked', '-v', 'parkvol:/pv', BUSYBOX, 'true');
    const d = fresh();
    writeFileSync(join(d, 'in.txt'), 'parked\n');
    expect(s.sw('cp', join(d, 'in.txt'), 'parked:/in.txt').code).toBe(0);
    expect(s.sw('cp', join(d, 'in.txt'), 'parked:/pv/').code).toBe(0);
    expect(existsSync(join(s.root, 'volumes', 'parkvol', '_data', 'in.txt'))).toBe(true);
    expect(s.sw('cp', 'parked:/in.txt', join(d, 'out.txt')).code).toBe(0);
    expect(readFileSync(join(d, 'out.txt'), 'utf8')).toBe('parked\n');
    expect(mountsUnder(join(s.root, 'containers')).filter((l) => !l.includes(s.sw('inspect', '-f', '{{.Id}}', 'box').stdout.trim()))).toEqual([]);
    expect(s.sw('start', '-a', 'parked').code).toBe(0);
    expect(s.sw('diff', 'parked').stdout).toContain('A /in.txt\n');
    s.sw('rm', 'parked');
  });
});
