import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Engine } from '../../../main/engine/engine.js';
import { contractCaller } from '../../helpers/contract-call.js';
import { ImageDetail } from '../../../shared/api.js';
import { FIXTURES, tempRoot } from '../../helpers/tmp-store.js';
import { BUILD_TIMEOUT, ensureBuilt, slipway } from '../image/cli.js';

// `slipway history` and the app's image page (IPC and the web bridge both answer through
// dispatch) read one pairing of history entries with layers: they must agree, entry by entry.
describe('the CLI and the app show the same history for the same image', () => {
  const { root, cleanup } = tempRoot('slipway-hist-');
  const sw = (...args: string[]) => slipway(root, args);
  let engine: Engine;
  let call: (method: string, params: unknown) => Promise<unknown>;

  beforeAll(() => {
    ensureBuilt();
    expect(sw('load', '-i', join(FIXTURES, 'busybox-docker.tar')).code).toBe(0);
    const ctx = mkdtempSync(join(process.env.SLIPWAY_TEST_TMP ?? tmpdir(), 'slipway-hist-ctx-'));
    writeFileSync(join(ctx, 'Dockerfile'), [
      'FROM localhost/busybox:latest AS tools',
      'RUN echo made > /made',
      'FROM localhost/busybox:latest',
      'LABEL stage=final',
      'COPY --from=tools /made /made',
      'ENV GREETING=hi',
      'RUN echo two > /two && rm /etc/group && rm -rf /var && mkdir /var && echo new > /var/new',
      '',
    ].join('\n'));
    const b = sw('build', '-q', '-t', 'multi:1', ctx);
    expect(b.code, b.stderr).toBe(0);
    expect(sw('run', '--name', 'tocommit', 'multi:1', 'sh', '-c', 'echo three > /three').code).toBe(0);
    expect(sw('commit', '-m', 'by hand', 'tocommit', 'committed:1').code).toBe(0);
    engine = new Engine(root);
    call = contractCaller(engine);
  }, BUILD_TIMEOUT);

  afterAll(() => {
    engine?.close();
    sw('rm', '-f', 'tocommit');
    cleanup();
  });

  for (const ref of ['multi:1', 'committed:1']) {
    it(`${ref}: every history row, its size and the layer it made`, async () => {
      const cli = sw('history', '--no-trunc', '-H=false', '--format', '{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}', ref);
      expect(cli.code, cli.stderr).toBe(0);
      const cliRows = cli.stdout.replace(/\n$/, '').split('\n').map((l) => l.split('\t'));
      const app = ImageDetail.parse(await call('images.inspect', { ref }));
      const appRows = [...app.history].reverse().map((h) => [h.createdBy, String(h.size), h.comment]);
      expect(appRows).toEqual(cliRows);
      // each layer is labelled with the step that made it, the same step the history shows
      const made = app.history.filter((h) => h.layerIndex !== null);
      expect(made.map((h) => h.layerIndex)).toEqual(app.layers.map((l) => l.index));
      expect(app.layers.map((l) => l.createdBy)).toEqual(made.map((h) => h.createdBy));
      expect(app.layers.map((l) => l.size)).toEqual(made.map((h) => h.size));
    });
  }

  it('marks what a layer added, deleted and made opaque', async () => {
    const app = ImageDetail.parse(await call('images.inspect', { ref: 'multi:1' }));
    const last = app.layers.length - 1;
    const files = (await call('images.layerFiles', { image: 'multi:1', layer: last, limit: 1000 })) as { files: { path: string; mark: string }[] };
    const mark = (p: string) => files.files.find((f) => f.path === p)?.mark;
    expect(mark('/two')).toBe('added');
    expect(mark('/etc/group')).toBe('deleted');
    // /var was removed and made again: it hides everything the image had below it
    expect(mark('/var')).toBe('opaque');
    expect(mark('/var/new')).toBe('added');
    const copied = (await call('images.layerFiles', { image: 'multi:1', layer: last - 1, limit: 1000 })) as { files: { path: string; mark: string }[] };
    expect(copied.files.map((f) => [f.path, f.mark])).toEqual([['/made', 'added']]);
  });
});
