import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempEngine } from '../../helpers/tmp-store.js';
import type { Engine } from '../../../main/engine/engine.js';
import { buildWith, loadBase, makeContext, stepStatuses } from './build-helpers.js';

const DF = 'FROM localhost/busybox:latest\nCOPY a.txt /a.txt\nRUN echo one > /one\nCOPY b.txt /b.txt\nRUN echo two > /two\n';

describe('build cache', () => {
  let engine: Engine;
  let cleanup: () => void;
  let ctx: string;
  beforeAll(async () => {
    ({ engine, cleanup } = tempEngine());
    await loadBase(engine);
    ctx = makeContext({ Dockerfile: DF, 'a.txt': 'a', 'b.txt': 'b' });
  });
  afterAll(() => cleanup());

  it('a second build hits every step and gives the same image ID', async () => {
    const first = await buildWith(engine, { context: ctx, tags: ['c:1'] });
    expect(stepStatuses(first.events).every((s) => s.startsWith('MISS'))).toBe(true);
    const second = await buildWith(engine, { context: ctx, tags: ['c:1'] });
    expect(stepStatuses(second.events)).toEqual(['CACHED COPY a.txt /a.txt', 'CACHED RUN echo one > /one', 'CACHED COPY b.txt /b.txt', 'CACHED RUN echo two > /two']);
    expect(second.imageId).toBe(first.imageId);
  });

  it('touching a source without changing it is still a hit (content, not mtime, is keyed)', async () => {
    const before = await buildWith(engine, { context: ctx });
    utimesSync(join(ctx, 'a.txt'), new Date(), new Date(Date.now() + 5000));
    const after = await buildWith(engine, { context: ctx });
    expect(stepStatuses(after.events).every((s) => s.startsWith('CACHED'))).toBe(true);
    expect(after.imageId).toBe(before.imageId);
  });

  it('a changed COPY source invalidates that step and later ones, not earlier ones, and says why', async () => {
    writeFileSync(join(ctx, 'b.txt'), 'b changed');
    const r = await buildWith(engine, { context: ctx });
    expect(stepStatuses(r.events)).toEqual([
      'CACHED COPY a.txt /a.txt',
      'CACHED RUN echo one > /one',
      'MISS COPY b.txt /b.txt (COPY source b.txt changed)',
      'MISS RUN echo two > /two (an earlier step changed: COPY b.txt /b.txt)',
    ]);
  });

  it('a changed instruction or build arg is explained', async () => {
    const ctx2 = makeContext({ Dockerfile: 'FROM localhost/busybox:latest\nARG N=1\nRUN echo $N > /n\n' });
    await buildWith(engine, { context: ctx2 });
    const r = await buildWith(engine, { context: ctx2, buildArgs: { N: '2' } });
    expect(stepStatuses(r.events)).toEqual(['MISS RUN echo $N > /n (an earlier step changed: ARG N=2)']);
    writeFileSync(join(ctx2, 'Dockerfile'), 'FROM localhost/busybox:latest\nARG N=1\nRUN echo $N >> /n\n');
    const r2 = await buildWith(engine, { context: ctx2 });
    expect(stepStatuses(r2.events)).toEqual(['MISS RUN echo $N >> /n (instruction changed)']);
  });

  it('a COPY whose files are remembered unchanged still records its sources when it misses for its parent', async () => {
    const ctx3 = makeContext({ Dockerfile: 'FROM localhost/busybox:latest\nARG N=1\nRUN echo $N > /m\nCOPY c.txt /c.txt\n', 'c.txt': 'c' });
    await buildWith(engine, { context: ctx3 });
    // nothing in the context changed, so the COPY's digest comes from what was remembered,
    // but its parent did: the new cache row must still list c.txt, or the next miss cannot name it
    const r = await buildWith(engine, { context: ctx3, buildArgs: { N: '2' } });
    expect(stepStatuses(r.events).map((x) => x.split(' (')[0])).toEqual(['MISS RUN echo $N > /m', 'MISS COPY c.txt /c.txt']);
    writeFileSync(join(ctx3, 'c.txt'), 'c changed');
    const r2 = await buildWith(engine, { context: ctx3, buildArgs: { N: '2' } });
    expect(stepStatuses(r2.events)).toEqual(['CACHED RUN echo $N > /m', 'MISS COPY c.txt /c.txt (COPY source c.txt changed)']);
    writeFileSync(join(ctx3, 'c.txt'), 'c');
    const r3 = await buildWith(engine, { context: ctx3, buildArgs: { N: '2' } });
    expect(stepStatuses(r3.events)).toEqual(['CACHED RUN echo $N > /m', 'CACHED COPY c.txt /c.txt']);
  });

  it('a COPY of a directory sees a file added, edited or newly ignored, and not what .dockerignore or --exclude hide', async () => {
    const ctx4 = makeContext({
      Dockerfile: 'FROM localhost/busybox:latest\nCOPY src/ /src/\nCOPY --exclude=*.log logs/ /logs/\n',
      '.dockerignore': 'src/cache\n',
      'src/a.txt': 'a', 'src/sub/b.txt': 'b', 'src/cache/x': 'x', 'logs/keep.txt': 'k',
    });
    const first = await buildWith(engine, { context: ctx4 });
    const all = ['CACHED COPY src/ /src/', 'CACHED COPY --exclude=*.log logs/ /logs/'];
    expect(stepStatuses((await buildWith(engine, { context: ctx4 })).events)).toEqual(all);
    // a file under an ignored directory, and an excluded file, are not the build's
    writeFileSync(join(ctx4, 'src/cache/x'), 'x changed');
    mkdirSync(join(ctx4, 'src/cache/deeper'));
    writeFileSync(join(ctx4, 'logs/run.log'), 'noise');
    const hidden = await buildWith(engine, { context: ctx4 });
    expect(stepStatuses(hidden.events)).toEqual(all);
    expect(hidden.imageId).toBe(first.imageId);
    writeFileSync(join(ctx4, 'src/sub/c.txt'), 'c');
    expect(stepStatuses((await buildWith(engine, { context: ctx4 })).events)[0]).toBe('MISS COPY src/ /src/ (COPY source src/sub/c.txt added)');
    writeFileSync(join(ctx4, 'src/sub/b.txt'), 'b, edited');
    expect(stepStatuses((await buildWith(engine, { context: ctx4 })).events)[0]).toBe('MISS COPY src/ /src/ (COPY source src/sub/b.txt changed)');
    writeFileSync(join(ctx4, 'logs/keep.txt'), 'k, edited');
    expect(stepStatuses((await buildWith(engine, { context: ctx4 })).events)).toEqual(['CACHED COPY src/ /src/', 'MISS COPY --exclude=*.log logs/ /logs/ (COPY source logs/keep.txt changed)']);
    // the same files, but .dockerignore now hides one: no stat changed below src/
    writeFileSync(join(ctx4, '.dockerignore'), 'src/cache\nsrc/sub/c.txt\n');
    expect(stepStatuses((await buildWith(engine, { context: ctx4 })).events)[0]).toBe('MISS COPY src/ /src/ (COPY source src/sub/c.txt removed)');
    expect(stepStatuses((await buildWith(engine, { context: ctx4 })).events)).toEqual(all);
  });

  it('--no-cache rebuilds every step', async () => {
    const r = await buildWith(engine, { context: ctx, noCache: true });
    expect(stepStatuses(r.events).every((s) => s.startsWith('MISS') && s.endsWith('(--no-cache)'))).toBe(true);
  });

  it('the cache survives reopening the store', async () => {
    const reopened = new (engine.constructor as typeof Engine)(engine.store.paths.root);
    try {
      const r = await buildWith(reopened, { context: ctx });
      expect(stepStatuses(r.events).every((s) => s.startsWith('CACHED'))).toBe(true);
    } finally {
      reopened.close();
    }
  });

  it('builder prune empties the cache', async () => {
    const { pruneBuildCache } = await import('../../../main/engine/builder/builder.js');
    const res = pruneBuildCache(engine);
    expect(res.steps).toBeGreaterThan(0);
    const r = await buildWith(engine, { context: ctx });
    expect(stepStatuses(r.events).every((s) => s.startsWith('MISS'))).toBe(true);
  });
});

describe('reproducible builds', () => {
  it('SOURCE_DATE_EPOCH gives the same image ID from two empty caches', async () => {
    const ctx = makeContext({ Dockerfile: 'FROM localhost/busybox:latest\nWORKDIR /w\nCOPY f.txt .\nRUN echo x > /w/x && mkdir /w/sub\nENV A=1\n', 'f.txt': 'f' });
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { engine, cleanup } = tempEngine();
      try {
        await loadBase(engine);
        const epoch = 1700000000;
        const { imageId } = await buildWith(engine, { context: ctx, epoch });
        const cfg = engine.images.config(engine.images.resolve(imageId));
        expect(cfg.created).toBe('2023-11-14T22:13:20Z');
        ids.push(imageId);
        // nothing is left in temp dirs after a successful build
        expect(readdirSync(engine.store.paths.snapshots).filter((n) => n.startsWith('.tmp'))).toEqual([]);
      } finally {
        cleanup();
      }
    }
    expect(ids[0]).toBe(ids[1]);
  });
});
