import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { docker, startService, tmpDir, type Service } from './harness.js';

/**
 * Debian's docker 20.10 client's `docker cp` (HEAD/GET/PUT /containers/{id}/archive) and
 * `slipway cp` do the same copies against one store: the same files land in the same places,
 * the same cases fail. Both doors use the one archive operation of the engine.
 */
describe('docker cp through the Engine API and slipway cp agree', () => {
  let svc: Service;
  let base: string;
  const d = (...args: string[]) => docker(svc, args);
  const listing = (dir: string): string[] => {
    const out: string[] = [];
    const walk = (p: string, rel: string) => {
      for (const n of readdirSync(p).sort()) {
        const st = lstatSync(join(p, n));
        const r = rel ? `${rel}/${n}` : n;
        out.push(st.isDirectory() ? `${r}/` : st.isSymbolicLink() ? `${r}@` : `${r}=${readFileSync(join(p, n), 'utf8').trim()}`);
        if (st.isDirectory()) walk(join(p, n), r);
      }
    };
    walk(dir, '');
    return out;
  };
  beforeAll(async () => {
    svc = await startService();
    base = tmpDir(svc, 'cp-');
    const r = d('run', '-d', '--name', 'box', 'busybox', 'sh', '-c', 'mkdir -p /src/dir/sub && echo f > /src/file && echo a > /src/dir/a && echo b > /src/dir/sub/b && ln -s /src/file /src/link && mkdir /dst && sleep 100000');
    if (r.code !== 0) throw new Error(r.stderr);
  });
  afterAll(async () => svc?.stop());

  it('out of the container: files, directories, "/." and "dir/", links with and without -L, into new and existing places', () => {
    const cases: [string, string, (dir: string) => void][] = [
      ['/src/file', 'new', () => {}],
      ['/src/file', 'existing/', (p) => mkdirSync(join(p, 'existing'))],
      ['/src/file', 'over', (p) => writeFileSync(join(p, 'over'), 'old')],
      ['/src/file', 'missing/', () => {}],
      ['/src/dir', 'new', () => {}],
      ['/src/dir', 'existing', (p) => mkdirSync(join(p, 'existing'))],
      ['/src/dir/.', 'existing', (p) => mkdirSync(join(p, 'existing'))],
      ['/src/dir/', 'fresh', () => {}],
      ['/src/dir', 'afile', (p) => writeFileSync(join(p, 'afile'), 'x')],
      ['/src/link', 'lnk', () => {}],
      ['-L /src/link', 'followed', () => {}],
      ['/src/nope', 'x', () => {}],
    ];
    for (const [i, [src, dst, setup]] of cases.entries()) {
      const args = src.startsWith('-L ') ? ['-L', `box:${src.slice(3)}`] : [`box:${src}`];
      const results = ['docker', 'slipway'].map((who) => {
        const dir = join(base, `out${i}-${who}`);
        mkdirSync(dir);
        setup(dir);
        const r = who === 'docker' ? d('cp', ...args, join(dir, dst)) : svc.sw('cp', ...args, join(dir, dst));
        return { code: r.code, tree: listing(dir) };
      });
      expect(results[1], `cp ${src} ${dst}`).toEqual(results[0]);
    }
  });

  it('into the container: the same rules, and both see the other\'s files', () => {
    const src = join(base, 'hostsrc');
    mkdirSync(join(src, 'tree', 'deep'), { recursive: true });
    writeFileSync(join(src, 'f.txt'), 'host\n');
    writeFileSync(join(src, 'tree', 'deep', 'x'), 'x\n');
    const cases: [string, string][] = [
      ['f.txt', '/dst/D/'],
      ['f.txt', '/dst/D/renamed'],
      ['tree', '/dst/D/newtree'],
      ['tree', '/dst/D/'],
      ['tree/.', '/dst/D/dotted'],
      ['f.txt', '/dst/D/missing/'],
      ['f.txt', '/no/such/dir/f'],
    ];
    for (const [i, [from, to]] of cases.entries()) {
      const results = ['docker', 'slipway'].map((who) => {
        const dir = `/dst/${who}${i}`;
        d('exec', 'box', 'mkdir', '-p', dir, `${dir}/dotted`);
        const target = to.replace('/dst/D', dir);
        const r = who === 'docker' ? d('cp', join(src, from), `box:${target}`) : svc.sw('cp', join(src, from), `box:${target}`);
        const tree = d('exec', 'box', 'sh', '-c', `cd ${dir} && find . | sort`).stdout;
        return { code: r.code, tree };
      });
      expect(results[1], `cp ${from} ${to}`).toEqual(results[0]);
    }
    expect(d('exec', 'box', 'cat', '/dst/slipway1/renamed').stdout).toBe('host\n');
  });
});
