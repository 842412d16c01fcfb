import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { buildText, buildWith, makeContext, storeWithBase, stepStatuses } from './build-helpers.js';
import { build, type BuildEvent } from '../../../main/engine/builder/builder.js';

/**
 * A step's layer is packed into its blob while the next step already runs on the step's
 * directory, and the directory moves into place when that next step is done with it. These
 * tests pin what a user sees of that: every step builds on the one before, the same inputs give
 * the same image, and a failure (of a step, or of packing a layer) leaves what it always did.
 */
describe('layers packed while the next step runs', () => {
  const s = storeWithBase();
  const DF = [
    'FROM localhost/busybox:latest',
    'WORKDIR /w',
    'RUN dd if=/dev/zero of=big bs=1048576 count=8 2>/dev/null && echo one > one',
    'COPY a.txt .',
    // reads what the RUN and the COPY before it wrote, while their layers may still be packing
    'RUN cat one a.txt > both && sha256sum big > big.sum && rm one',
    'COPY b.txt .',
    'RUN ls > listing',
  ].join('\n');
  const files = { 'a.txt': 'from the context\n', 'b.txt': 'bee\n' };

  const leftovers = () => ({
    snapshots: readdirSync(s.engine.store.paths.snapshots).filter((n) => n.startsWith('.tmp-')),
    tmp: readdirSync(s.engine.store.paths.tmp),
  });

  it('each step sees the files of the step before; the layers and the history are in step order', async () => {
    const r = await buildText(s.engine, DF, files, { noCache: true });
    const text = (p: string) => {
      const e = r.fs.get(p);
      expect(e, p).toBeDefined();
      return e!;
    };
    expect(text('/w/both').size).toBe('one\nfrom the context\n'.length);
    expect(text('/w/big.sum').size).toBeGreaterThan(64);
    expect(r.fs.has('/w/one')).toBe(false); // removed by a later step: a whiteout in its layer
    expect(text('/w/listing').size).toBe('a.txt\nb.txt\nbig\nbig.sum\nboth\nlisting\n'.length);
    // base layer(s), then WORKDIR, RUN, COPY, RUN, COPY, RUN
    const img = s.engine.images.resolve(r.imageId);
    const base = s.engine.images.resolve('localhost/busybox:latest');
    expect(img.layers.length).toBe(base.layers.length + 6);
    const created = (r.config.history ?? []).slice(-6).map((h) => h.created_by ?? '');
    expect(created.map((c) => c.split(' ')[0])).toEqual(['WORKDIR', 'RUN', 'COPY', 'RUN', 'COPY', 'RUN']);
    expect(r.config.rootfs.diff_ids).toEqual(img.layers.map((l) => l.diffId));
    for (const l of img.layers) expect(s.engine.store.blobs.has(l.blobDigest)).toBe(true);
    expect(leftovers()).toEqual({ snapshots: [], tmp: [] });
  });

  it('two builds from nothing with SOURCE_DATE_EPOCH give the same image ID', async () => {
    const ctx = makeContext({ Dockerfile: DF, ...files });
    const a = await buildWith(s.engine, { context: ctx, noCache: true, epoch: 1700000000 });
    const b = await buildWith(s.engine, { context: ctx, noCache: true, epoch: 1700000000 });
    expect(b.imageId).toBe(a.imageId);
  });

  it('a step that fails after layer steps: they are cached, and nothing is left half made', async () => {
    const failing = 'FROM localhost/busybox:latest\nRUN echo kept > /kept\nCOPY a.txt /a.txt\nRUN exit 3\n';
    const ctx = makeContext({ Dockerfile: failing, ...files });
    await expect(buildWith(s.engine, { context: ctx })).rejects.toThrow(/exit code: 3/);
    expect(leftovers()).toEqual({ snapshots: [], tmp: [] });
    const fixed = makeContext({ Dockerfile: failing.replace('RUN exit 3', 'RUN true'), ...files });
    const { events } = await buildWith(s.engine, { context: fixed });
    expect(stepStatuses(events)).toEqual(['CACHED RUN echo kept > /kept', 'CACHED COPY a.txt /a.txt', expect.stringMatching(/^MISS RUN true/)]);
  });

  it('a layer that cannot be packed fails its own step with the reason, and leaves no image, dir or temp file', async () => {
    const ctx = makeContext({ Dockerfile: 'FROM localhost/busybox:latest\nCOPY a.txt /a.txt\nCOPY b.txt /b.txt\n', ...files });
    const tmp = s.engine.store.paths.tmp;
    const imagesBefore = s.engine.images.list().length;
    // Packing writes its blob through a temp file in tmp/, and nothing else in these steps does.
    execFileSync('chattr', ['+i', tmp]);
    const events: BuildEvent[] = [];
    try {
      await expect(build(s.engine, { context: ctx, noCache: true }, (e) => events.push(e))).rejects.toThrow(/cannot write the layer's blob/);

    } finally {
      execFileSync('chattr', ['-i', tmp]);
    }
    const errors = events.flatMap((e) => (e.type === 'step.error' ? [`${e.step.instruction}: ${e.message}`] : []));
    expect(errors).toEqual([
      expect.stringMatching(/^COPY a\.txt \/a\.txt: cannot write the layer's blob in .*\/tmp: EPERM/),
      'COPY b.txt /b.txt: cancelled: [stage-0 2/3] COPY a.txt /a.txt failed',
    ]);
    expect(s.engine.images.list().length).toBe(imagesBefore);
    expect(leftovers()).toEqual({ snapshots: [], tmp: [] });
    // and the store builds again once the disk takes writes
    const ok = await buildWith(s.engine, { context: ctx });
    expect(stepStatuses(ok.events)).toEqual([expect.stringMatching(/^MISS COPY a.txt/), expect.stringMatching(/^MISS COPY b.txt/)]);
  });

  it('COPY --from and FROM a stage whose last layer is still packing: the files, the cache and the snapshots are right', async () => {
    const df = [
      'FROM localhost/busybox:latest AS src',
      'RUN mkdir /out && dd if=/dev/zero of=/out/big bs=1048576 count=6 2>/dev/null && echo last > /out/last',
      'FROM src AS child',
      'RUN cat /out/last > /child-saw',
      'FROM localhost/busybox:latest',
      'COPY --from=src /out/ /copied/',
      'COPY --from=child /child-saw /child-saw',
    ].join('\n');
    const first = await buildText(s.engine, df, {}, { noCache: true });
    expect(first.fs.get('/copied/big')?.size).toBe(6 << 20);
    expect(first.fs.get('/copied/last')?.size).toBe('last\n'.length);
    expect(first.fs.get('/child-saw')?.size).toBe('last\n'.length);
    expect(leftovers()).toEqual({ snapshots: [], tmp: [] });
    // every layer of every stage was placed and recorded: a rebuild is all cache hits, same image
    const again = await buildWith(s.engine, { context: first.ctx });
    expect(stepStatuses(again.events).every((x) => x.startsWith('CACHED'))).toBe(true);
    expect(again.imageId).toBe(first.imageId);
  });

  it('a COPY --from that fails while the stage it reads is still packing: the stage is cached, nothing is left', async () => {
    const df = 'FROM localhost/busybox:latest AS src\nRUN echo made > /made\nFROM localhost/busybox:latest\nCOPY --from=src /no/such/file /x\n';
    const ctx = makeContext({ Dockerfile: df });
    await expect(buildWith(s.engine, { context: ctx })).rejects.toThrow(/no\/such\/file/);
    expect(leftovers()).toEqual({ snapshots: [], tmp: [] });
    const fixed = makeContext({ Dockerfile: df.replace('/no/such/file', '/made') });
    const r = await buildWith(s.engine, { context: fixed });
    expect(stepStatuses(r.events)).toEqual(['CACHED RUN echo made > /made', expect.stringMatching(/^MISS COPY --from=src \/made \/x/)]);
  });
});
