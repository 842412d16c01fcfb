import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createServer as netServer, connect } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { Engine } from '../../../main/engine/engine.js';
import { buildText as buildTextIn, buildWith, makeContext, rootfs, stepStatuses, storeWithBase } from './build-helpers.js';

const store = storeWithBase();
let engine: Engine;
beforeAll(() => {
  engine = store.engine;
});
const buildText = (dockerfile: string, files: Record<string, string | { link: string }> = {}) => buildTextIn(engine, dockerfile, files);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = netServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((res) => {
      const c = connect(port, '127.0.0.1', () => {
        c.destroy();
        res(true);
      });
      c.on('error', () => res(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
}

describe('COPY --parents and --exclude', () => {
  it('--parents keeps each source path below the destination; ./ marks where the kept path starts', async () => {
    const { fs } = await buildText(
      'FROM localhost/busybox:latest\nCOPY ./x/a.txt ./y/a.txt /no_parents/\nCOPY --parents ./x/a.txt ./y/a.txt /parents/\nCOPY --parents ./x/./sub/*.txt /pivot/\nCOPY --parents src/**/*.md /deep/\n',
      { 'x/a.txt': 'xa', 'y/a.txt': 'ya', 'x/sub/b.txt': 'b', 'x/sub/c.txt': 'c', 'src/r.md': 'r', 'src/k/l/m.md': 'm', 'src/k/skip.txt': 's' },
    );
    expect(fs.has('/no_parents/a.txt')).toBe(true);
    expect(fs.has('/no_parents/x')).toBe(false);
    expect(fs.get('/parents/x/a.txt')!.size).toBe(2);
    expect(fs.get('/parents/y/a.txt')!.sha256).toBe(createHash('sha256').update('ya').digest('hex'));
    expect(fs.get('/parents/x')!.type).toBe('d');
    expect(fs.has('/pivot/sub/b.txt') && fs.has('/pivot/sub/c.txt')).toBe(true);
    expect(fs.has('/pivot/x')).toBe(false);
    expect(fs.has('/deep/src/r.md') && fs.has('/deep/src/k/l/m.md')).toBe(true);
    expect(fs.has('/deep/src/k/skip.txt')).toBe(false);
  });

  it('--parents from another stage, with an absolute pivot', async () => {
    const { fs } = await buildText('FROM localhost/busybox:latest AS a\nRUN mkdir -p /opt/app/lib && echo x > /opt/app/lib/x.so\nFROM localhost/busybox:latest\nCOPY --from=a --parents /opt/./app/lib/x.so /out/\n');
    expect(fs.get('/out/app/lib/x.so')!.size).toBe(2);
    expect(fs.has('/out/opt')).toBe(false);
  });

  it('--exclude drops matching paths below each source (dockerignore rules, repeatable) and is part of the cache key', async () => {
    const files = { 'dir1/keep.txt': 'k', 'dir1/drop.png': 'p', 'dir1/sub/deep.png': 'd', 'dir2/img.png': 'i', 'dir2/doc.pdf': 'x', 'top.png': 't' };
    const { fs, ctx } = await buildText(
      'FROM localhost/busybox:latest\nCOPY --exclude=*.png dir1 /a/\nCOPY --exclude=*/*.png --exclude=*.pdf . /b/\nADD --exclude=* dir2 /c/\nCOPY --exclude=*.png top.png /d/\n',
      files,
    );
    expect(fs.has('/a/keep.txt')).toBe(true);
    expect(fs.has('/a/drop.png')).toBe(false);
    // "*.png" matches only at the source's top level, as in Docker's patternmatcher
    expect(fs.has('/a/sub/deep.png')).toBe(true);
    expect(fs.has('/b/dir1/drop.png') || fs.has('/b/dir2/img.png')).toBe(false);
    expect(fs.has('/b/dir1/keep.txt') && fs.has('/b/top.png')).toBe(true);
    expect(fs.has('/b/dir2/doc.pdf')).toBe(true);
    expect(fs.has('/c/img.png') || fs.has('/c/doc.pdf')).toBe(false);
    // the source itself is never excluded (BuildKit's copier matches below it)
    expect(fs.has('/d/top.png')).toBe(true);
    // an excluded file changing does not invalidate the step
    writeFileSync(join(ctx, 'dir1/drop.png'), 'changed');
    const again = await buildWith(engine, { context: ctx });
    expect(stepStatuses(again.events).filter((s) => s.includes('dir1 /a/'))).toEqual(['CACHED COPY --exclude=*.png dir1 /a/']);
  });
});

describe('ADD --checksum, --unpack and URLs', () => {
  let server: Server;
  let base: string;
  const body = Buffer.from('payload from loopback\n');
  const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
  let tarball: Buffer;
  beforeAll(async () => {
    const d = mkdtempSync(join(tmpdir(), 'slipway-tar-'));
    mkdirSync(join(d, 'pkg'));
    writeFileSync(join(d, 'pkg', 'inside.txt'), 'inside\n');
    tarball = execFileSync('tar', ['-czf', '-', '-C', d, 'pkg']);
    rmSync(d, { recursive: true, force: true });
    server = createServer((req, res) => {
      if (req.url === '/file.txt') res.end(body);
      else if (req.url === '/pkg.tar.gz') res.end(tarball);
      else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('a matching checksum adds the file (mode 600); a rebuild with the checksum hits the cache', async () => {
    const df = `FROM localhost/busybox:latest\nADD --checksum=${digest} ${base}/file.txt /got\n`;
    const { fs, ctx } = await buildText(df);
    expect(fs.get('/got')).toMatchObject({ mode: '0600', size: body.length });
    const again = await buildWith(engine, { context: ctx });
    expect(stepStatuses(again.events)).toEqual([`CACHED ADD --checksum=${digest} ${base}/file.txt /got`]);
  });

  it('a wrong checksum fails with the digests; --checksum on COPY or a local file is refused', async () => {
    const wrong = `sha256:${'0'.repeat(64)}`;
    await expect(buildText(`FROM localhost/busybox:latest\nADD --checksum=${wrong} ${base}/file.txt /got\n`)).rejects.toThrow(`digest mismatch for ${base}/file.txt: ${digest} (expected: ${wrong})`);
    await expect(buildText(`FROM localhost/busybox:latest\nCOPY --checksum=${wrong} a /a\n`, { a: 'a' })).rejects.toThrow(/unknown flag: --checksum/);
    await expect(buildText(`FROM localhost/busybox:latest\nADD --checksum=${wrong} a /a\n`, { a: 'a' })).rejects.toThrow(/checksum requires HTTP\(S\) or Git sources/);
  });

  it('--unpack=true extracts a downloaded archive; --unpack=false keeps a local one whole', async () => {
    const ctx = makeContext({ Dockerfile: `FROM localhost/busybox:latest\nADD --unpack=true ${base}/pkg.tar.gz /dl/\nADD --unpack=false local.tar.gz /kept/\nADD local.tar.gz /unpacked/\n` });
    writeFileSync(join(ctx, 'local.tar.gz'), tarball);
    const { imageId } = await buildWith(engine, { context: ctx });
    const fs = await rootfs(engine, imageId);
    expect(fs.get('/dl/pkg/inside.txt')!.size).toBe(7);
    expect(fs.get('/kept/local.tar.gz')!.size).toBe(tarball.length);
    expect(fs.get('/unpacked/pkg/inside.txt')!.size).toBe(7);
  }, 60_000);
});

describe('ADD of a Git repository (git daemon on loopback)', () => {
  let daemon: ChildProcess;
  let root: string;
  let port: number;
  let commit1: string;
  let commit2: string;
  const g = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } }).toString().trim();
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'slipway-git-'));
    const work = join(root, 'work');
    mkdirSync(join(work, 'docs'), { recursive: true });
    writeFileSync(join(work, 'README'), 'v1\n');
    writeFileSync(join(work, 'docs', 'guide.md'), 'guide\n');
    writeFileSync(join(work, 'run.sh'), '#!/bin/sh\necho run\n');
    chmodSync(join(work, 'run.sh'), 0o700);
    g(root, 'init', '-q', '-b', 'main', work);
    g(work, 'add', '.');
    g(work, 'commit', '-q', '-m', 'one');
    g(work, 'tag', 'v1');
    commit1 = g(work, 'rev-parse', 'HEAD');
    writeFileSync(join(work, 'README'), 'v2\n');
    g(work, 'commit', '-q', '-am', 'two');
    commit2 = g(work, 'rev-parse', 'HEAD');
    g(root, 'clone', '-q', '--bare', work, join(root, 'repo.git'));
    port = await freePort();
    daemon = spawn('git', ['daemon', '--reuseaddr', '--export-all', `--base-path=${root}`, '--listen=127.0.0.1', `--port=${port}`, root], { stdio: 'ignore' });
    await waitForPort(port);
  });
  afterAll(() => {
    if (daemon.pid) process.kill(daemon.pid, 'SIGTERM');
    rmSync(root, { recursive: true, force: true });
  });

  it('a branch, a tag with a subdir, --keep-git-dir; modes 644/755 as BuildKit sets them', async () => {
    const url = `git://127.0.0.1:${port}/repo.git`;
    const { fs } = await buildText(`FROM localhost/busybox:latest\nADD ${url}#main /src/\nADD ${url}#v1:docs /docs\nADD --keep-git-dir=true ${url}#v1 /kept\n`);
    expect(fs.get('/src/README')!.sha256).toBe(createHash('sha256').update('v2\n').digest('hex'));
    expect(fs.get('/src/README')).toMatchObject({ mode: '0644', uid: 0, gid: 0 });
    expect(fs.get('/src/run.sh')!.mode).toBe('0755');
    expect(fs.has('/src/.git')).toBe(false);
    expect(fs.get('/docs/guide.md')!.size).toBe(6);
    expect(fs.has('/docs/README')).toBe(false);
    expect(fs.get('/kept/README')!.size).toBe(3);
    expect(fs.get('/kept/.git')!.type).toBe('d');
  });

  it('the cache key is the resolved commit: a new commit on the branch rebuilds, the tag stays cached', async () => {
    const url = `git://127.0.0.1:${port}/repo.git`;
    const df = `FROM localhost/busybox:latest\nADD ${url}#v1 /t\nADD ${url}#main /m\n`;
    const { ctx } = await buildText(df);
    const work = join(root, 'work');
    writeFileSync(join(work, 'README'), 'v3\n');
    g(work, 'commit', '-q', '-am', 'three');
    g(work, 'push', '-q', join(root, 'repo.git'), 'main');
    const again = await buildWith(engine, { context: ctx });
    const st = stepStatuses(again.events);
    expect(st[0]).toBe(`CACHED ADD ${url}#v1 /t`);
    expect(st[1]).toMatch(/^MISS ADD .*#main \/m/);
    expect((await rootfs(engine, again.imageId)).get('/m/README')!.sha256).toBe(createHash('sha256').update('v3\n').digest('hex'));
  });

  it('--checksum is a commit prefix; a mismatch names both; an unknown ref is clear', async () => {
    const url = `git://127.0.0.1:${port}/repo.git`;
    const { fs } = await buildText(`FROM localhost/busybox:latest\nADD --checksum=${commit1.slice(0, 10)} ${url}#v1 /ok\n`);
    expect(fs.get('/ok/README')!.size).toBe(3);
    await expect(buildText(`FROM localhost/busybox:latest\nADD --checksum=${commit2.slice(0, 10)} ${url}#v1 /bad\n`)).rejects.toThrow(`expected checksum to match ${commit2.slice(0, 10)}, got ${commit1}`);
    await expect(buildText(`FROM localhost/busybox:latest\nADD ${url}#nope /x\n`)).rejects.toThrow(/git ref "nope" not found/);
    await expect(buildText(`FROM localhost/busybox:latest\nCOPY ${url}#v1 /x\n`)).rejects.toThrow(/source can't be a git ref for COPY/);
  });
});

describe('parser directives', () => {
  it('# syntax= and # check= are accepted: check gets a note, so does a frontend that is not Docker\'s', async () => {
    const warnings = (events: { type: string }[]) => events.filter((e) => e.type === 'build.warning');
    const { events } = await buildText('# syntax=docker/dockerfile:1.7\n# check=skip=JSONArgsRecommended;error=true\nFROM localhost/busybox:latest\nCMD echo hi\n');
    expect(warnings(events)).toEqual([{ type: 'build.warning', message: '# check=skip=JSONArgsRecommended;error=true: slipway runs no build checks, so this directive changes nothing' }]);
    const other = await buildText('# syntax=example.com/frontends/custom:2\nFROM localhost/busybox:latest\n');
    expect(warnings(other.events)).toEqual([{ type: 'build.warning', message: "# syntax=example.com/frontends/custom:2: slipway builds with its own Dockerfile frontend (BuildKit's Dockerfile syntax); the named frontend image is not run" }]);
  });
});
