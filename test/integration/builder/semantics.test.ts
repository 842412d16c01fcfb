import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../main/engine/engine.js';
import type { BuildRequest } from '../../../main/engine/builder/builder.js';
import { buildText as buildTextIn, buildWith, makeContext, rootfs, storeWithBase } from './build-helpers.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const store = storeWithBase();
let engine: Engine;
beforeAll(() => {
  engine = store.engine;
});
const buildText = (dockerfile: string, files: Record<string, string | { link: string }> = {}, extra: Partial<BuildRequest> = {}) => buildTextIn(engine, dockerfile, files, extra);

describe('RUN, ARG and ENV', () => {
  it('RUN sees ARGs in scope and ENV (ENV wins); ARGs do not persist in the image', async () => {
    const { config, fs } = await buildText(
      'ARG GLOBAL=g\nFROM localhost/busybox:latest\nARG GLOBAL\nARG LOCAL=l\nARG SHADOW=arg\nENV SHADOW=env\nRUN echo "$GLOBAL $LOCAL $SHADOW" > /out\n',
      {},
      { buildArgs: { LOCAL: 'from-cli' } },
    );
    expect(fs.get('/out')!.size).toBe('g from-cli env\n'.length);
    expect(config.config.Env).toContain('SHADOW=env');
    expect(config.config.Env!.some((e) => e.startsWith('LOCAL='))).toBe(false);
  });
  it('proxy build args reach RUN without an ARG line and stay out of history; unused args warn', async () => {
    const { fs, config, events } = await buildText('FROM localhost/busybox:latest\nRUN echo "$HTTP_PROXY" > /proxy\n', {}, { buildArgs: { HTTP_PROXY: 'http://proxy:3128', UNUSED: 'x' } });
    expect(fs.get('/proxy')!.size).toBe('http://proxy:3128\n'.length);
    expect(JSON.stringify(config.history)).not.toContain('proxy:3128');
    expect(events).toContainEqual({ type: 'build.warning', message: 'one or more build-args [UNUSED] were not consumed' });
  });
  it('a global ARG is not visible in a stage until redeclared', async () => {
    const { fs } = await buildText('ARG V=1\nFROM localhost/busybox:latest\nRUN echo "[$V]" > /before\nARG V\nRUN echo "[$V]" > /after\n');
    expect(fs.get('/before')!.size).toBe('[]\n'.length);
    expect(fs.get('/after')!.size).toBe('[1]\n'.length);
  });
  it('heredoc RUN, exec form, and a failing command inside && stops', async () => {
    const { fs } = await buildText('FROM localhost/busybox:latest\nRUN <<EOF\nset -e\necho one > /h1\necho two > /h2\nEOF\nRUN ["/bin/sh", "-c", "echo exec > /e"]\n');
    expect(fs.has('/h1') && fs.has('/h2') && fs.has('/e')).toBe(true);
  });
  it('RUN deletions become whiteouts that hold in the image', async () => {
    const { fs } = await buildText('FROM localhost/busybox:latest\nRUN rm /bin/vi && rm -rf /etc/network 2>/dev/null; echo ok\n');
    expect(fs.has('/bin/vi')).toBe(false);
    expect(fs.has('/bin/sh')).toBe(true);
  });
  it('USER and WORKDIR: the workdir is created owned by the user; RUN runs as that user', async () => {
    const { fs, config } = await buildText('FROM localhost/busybox:latest\nUSER nobody\nWORKDIR /home/w\nRUN touch mine\n');
    expect(fs.get('/home/w')!.uid).toBe(65534);
    expect(fs.get('/home/w/mine')!.uid).toBe(65534);
    expect(config.config.User).toBe('nobody');
    expect(config.config.WorkingDir).toBe('/home/w');
  });
});

describe('COPY and ADD', () => {
  it('ownership by name through the image passwd, --chmod, WORKDIR-relative dest', async () => {
    const { fs } = await buildText('FROM localhost/busybox:latest\nWORKDIR /app\nCOPY --chown=nobody:nobody --chmod=640 a.txt sub/\n', { 'a.txt': 'a' });
    const e = fs.get('/app/sub/a.txt')!;
    expect([e.uid, e.gid, e.mode]).toEqual([65534, 65534, '0640']);
  });
  it('an unknown --chown user is an error naming the user', async () => {
    await expect(buildText('FROM localhost/busybox:latest\nCOPY --chown=ghost a.txt /\n', { 'a.txt': 'a' })).rejects.toThrow(/Dockerfile:2: COPY --chown=ghost a.txt \/: unable to find user ghost/);
  });
  it('globs, several sources into a dir, and the trailing-slash rule', async () => {
    const { fs } = await buildText('FROM localhost/busybox:latest\nCOPY *.txt /d/\nCOPY a.txt b.txt /two/\n', { 'a.txt': 'a', 'b.txt': 'b', 'c.md': 'c' });
    expect(fs.has('/d/a.txt') && fs.has('/d/b.txt') && !fs.has('/d/c.md')).toBe(true);
    expect(fs.has('/two/b.txt')).toBe(true);
    await expect(buildText('FROM localhost/busybox:latest\nCOPY a.txt b.txt /two\n', { 'a.txt': 'a', 'b.txt': 'b' })).rejects.toThrow(/destination must be a directory and end with a \//);
  });
  it('a directory source copies its contents; symlinks stay symlinks inside; a top-level symlink is followed', async () => {
    const { fs } = await buildText('FROM localhost/busybox:latest\nCOPY dir /x\nCOPY top /y\n', { 'dir/f': 'f', 'dir/l': { link: 'f' }, real: 'real', top: { link: 'real' } });
    expect(fs.get('/x/f')!.type).toBe('f');
    expect(fs.get('/x/l')).toMatchObject({ type: 'l', link: 'f' });
    expect(fs.get('/y')).toMatchObject({ type: 'f', size: 4 });
  });
  it('ADD extracts a local tar.gz; COPY does not', async () => {
    const tarCtx = makeContext({});
    const { execFileSync } = await import('node:child_process');
    writeFileSync(join(tarCtx, 'inner.txt'), 'inside');
    execFileSync('tar', ['-czf', join(tarCtx, 'pkg.tar.gz'), '-C', tarCtx, 'inner.txt']);
    const ctx = makeContext({ Dockerfile: 'FROM localhost/busybox:latest\nADD pkg.tar.gz /add/\nCOPY pkg.tar.gz /copy/\n' });
    execFileSync('cp', [join(tarCtx, 'pkg.tar.gz'), ctx]);
    const { imageId } = await buildWith(engine, { context: ctx });
    const fs = await rootfs(engine, imageId);
    expect(fs.get('/add/inner.txt')!.size).toBe(6);
    expect(fs.get('/copy/pkg.tar.gz')!.type).toBe('f');
  });
  it('ADD of an unreachable URL is a clear error', async () => {
    await expect(buildText('FROM localhost/busybox:latest\nADD http://127.0.0.1:59999/nothing.txt /x\n')).rejects.toThrow(
      'Dockerfile:2: ADD http://127.0.0.1:59999/nothing.txt /x: cannot download http://127.0.0.1:59999/nothing.txt (ECONNREFUSED)',
    );
  });
  it('.dockerignore with ! exceptions', async () => {
    const { fs } = await buildText('FROM localhost/busybox:latest\nCOPY . /ctx/\n', {
      '.dockerignore': 'logs\n*.tmp\n!keep.tmp\nDockerfile\n',
      'logs/a.log': 'x',
      'b.tmp': 'x',
      'keep.tmp': 'k',
      'src/c.txt': 'c',
    });
    expect([...fs.keys()].filter((p) => p.startsWith('/ctx/')).sort()).toEqual(['/ctx/.dockerignore', '/ctx/keep.tmp', '/ctx/src', '/ctx/src/c.txt']);
  });
  it('.dockerignore of plain names and paths (no globs), with an exception under an ignored dir', async () => {
    const { fs } = await buildText('FROM localhost/busybox:latest\nCOPY . /ctx/\n', {
      '.dockerignore': 'logs\n/src/secret.txt\n!logs/keep.log\nDockerfile\n',
      'logs/a.log': 'x',
      'logs/keep.log': 'k',
      'src/secret.txt': 's',
      'src/c.txt': 'c',
      'other/logs/x': 'x',
    });
    expect([...fs.keys()].filter((p) => p.startsWith('/ctx/')).sort()).toEqual([
      '/ctx/.dockerignore', '/ctx/logs', '/ctx/logs/keep.log', '/ctx/other', '/ctx/other/logs', '/ctx/other/logs/x', '/ctx/src', '/ctx/src/c.txt',
    ]);
  });
  it('a missing source names the path and the context', async () => {
    const p = buildText('FROM localhost/busybox:latest\nCOPY nothere.txt /x\n');
    await expect(p).rejects.toThrow(/Dockerfile:2: COPY nothere.txt \/x: "nothere.txt" not found in the build context \/.*slipway-ctx-/);
  });
  it('COPY heredoc with variable expansion', async () => {
    const { fs } = await buildText('FROM localhost/busybox:latest\nARG WHO=world\nCOPY <<EOF /greet\nhello $WHO\nEOF\n');
    expect(fs.get('/greet')!.size).toBe('hello world\n'.length);
  });
});

describe('multi-stage', () => {
  it('--target skips stages it does not need (a failing unrelated stage never runs)', async () => {
    const df = 'FROM localhost/busybox:latest AS broken\nRUN exit 1\nFROM localhost/busybox:latest AS good\nRUN echo ok > /ok\nFROM good\nCOPY --from=broken /x /x\n';
    const { fs, events } = await buildText(df, {}, { target: 'good' });
    expect(fs.has('/ok')).toBe(true);
    expect(events.some((e) => e.type === 'step.start' && e.step.stage === 'broken')).toBe(false);
  });
  it('COPY --from by stage index and by image', async () => {
    const { fs } = await buildText('FROM localhost/busybox:latest\nRUN echo 0 > /zero\nFROM scratch\nCOPY --from=0 /zero /z\nCOPY --from=localhost/busybox:latest /bin/busybox /bb\n');
    expect(fs.get('/z')!.size).toBe(2);
    expect(fs.get('/bb')!.size).toBeGreaterThan(100000);
    expect(fs.has('/bin/sh')).toBe(false);
  });
  it('records lineage: kind build, the final base image, the build id and the Dockerfile', async () => {
    const { imageId, ctx } = await buildText('FROM localhost/busybox:latest AS a\nFROM a\nLABEL x=y\n');
    const row = engine.store.db.prepare(`SELECT * FROM lineage WHERE image_id = ?`).get(imageId) as { kind: string; parent_image_id: string; build_id: string; detail: string };
    expect(row.kind).toBe('build');
    expect(row.parent_image_id).toBe(engine.images.resolve('localhost/busybox:latest').id);
    expect(JSON.parse(row.detail).dockerfile).toBe(join(ctx, 'Dockerfile'));
    const b = engine.store.db.prepare(`SELECT status, image_id FROM builds WHERE id = ?`).get(row.build_id) as { status: string; image_id: string };
    expect(b).toEqual({ status: 'succeeded', image_id: imageId });
  });
  it('history is docker-compatible: empty_layer for config steps, BuildKit comment', async () => {
    const { config } = await buildText('FROM localhost/busybox:latest\nENV A=1\nRUN true\n');
    const h = config.history!.slice(-2);
    expect(h[0]).toMatchObject({ created_by: 'ENV A=1', empty_layer: true, comment: 'buildkit.dockerfile.v0' });
    expect(h[1]).toMatchObject({ created_by: 'RUN /bin/sh -c true # buildkit', comment: 'buildkit.dockerfile.v0' });
    expect(h[1]!.empty_layer).toBeUndefined();
    expect(config.rootfs.diff_ids.length).toBe(config.history!.filter((x) => !x.empty_layer).length);
  });
});
