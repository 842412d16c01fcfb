import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Engine } from '../../../main/engine/engine.js';
import { contractCaller } from '../../helpers/contract-call.js';
import { BuildRecord, ImageDetail } from '../../../shared/api.js';
import { FIXTURES, tempRoot } from '../../helpers/tmp-store.js';
import { BUILD_TIMEOUT, ensureBuilt, slipway } from '../image/cli.js';

// The image page's layers name the Dockerfile line that made each and whether the build took
// it from the cache (what the contract hands the app for its "cached" marks).
describe('an image built here: each layer knows its step, its line and whether it was cached', () => {
  const { root, cleanup } = tempRoot('slipway-steps-');
  const sw = (...args: string[]) => slipway(root, args);
  let engine: Engine;
  let call: (method: string, params: unknown) => Promise<unknown>;
  const ctx = mkdtempSync(join(process.env.SLIPWAY_TEST_TMP ?? tmpdir(), 'slipway-steps-ctx-'));
  const dockerfile = (second: string) =>
    writeFileSync(join(ctx, 'Dockerfile'), ['FROM localhost/busybox:latest', 'RUN echo one > /one', 'ENV X=1', `RUN echo ${second} > /two`, ''].join('\n'));

  beforeAll(() => {
    ensureBuilt();
    expect(sw('load', '-i', join(FIXTURES, 'busybox-docker.tar')).code).toBe(0);
    dockerfile('two');
    expect(sw('build', '-q', '-t', 'steps:1', ctx).code).toBe(0);
    dockerfile('changed');
    expect(sw('build', '-q', '-t', 'steps:2', ctx).code).toBe(0);
    engine = new Engine(root);
    call = contractCaller(engine);
  }, BUILD_TIMEOUT);

  afterAll(() => {
    engine?.close();
    cleanup();
  });

  it('the first build made both RUN layers; the base layer has no step', async () => {
    const img = ImageDetail.parse(await call('images.inspect', { ref: 'steps:1' }));
    expect(img.layers.map((l) => l.build)).toEqual([
      null,
      { step: '[stage-0 2/3] RUN echo one > /one', line: 2, cached: false },
      { step: '[stage-0 3/3] RUN echo two > /two', line: 4, cached: false },
    ]);
  });

  it('the rebuild took line 2 from the cache and ran line 4 again', async () => {
    const img = ImageDetail.parse(await call('images.inspect', { ref: 'steps:2' }));
    expect(img.layers.map((l) => l.build && { line: l.build.line, cached: l.build.cached })).toEqual([null, { line: 2, cached: true }, { line: 4, cached: false }]);
    const one = ImageDetail.parse(await call('images.inspect', { ref: 'steps:1' }));
    expect(img.layers[1]!.diffId).toBe(one.layers[1]!.diffId);
    // and the Builds page's steps say which layer each made
    const builds = (await call('builds.list', {}) as unknown[]).map((b) => BuildRecord.parse(b));
    const last = builds.find((b) => b.imageId === img.id)!;
    expect(last.steps.filter((s) => s.layer).map((s) => [s.line, s.cached, s.layer])).toEqual([[2, true, img.layers[1]!.diffId], [4, false, img.layers[2]!.diffId]]);
  });
});
