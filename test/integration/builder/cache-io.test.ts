import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { tempEngine } from '../../helpers/tmp-store.js';
import type { Engine } from '../../../main/engine/engine.js';
import { pull, push } from '../../../main/engine/registry/index.js';
import { buildWith, loadBase, makeContext, rootfs, stepStatuses } from './build-helpers.js';
import { startRegistry, type RunningRegistry } from '../registry/registry-server.js';

// The "CI machine" of these tests is a second, empty store: it must start warm from the cache
// the first one exported, never running a RUN again (each RUN writes a fresh random value).
const DF =
  'FROM localhost/busybox:latest AS deps\nWORKDIR /app\nCOPY lock.txt .\nRUN head -c 16 /dev/urandom | od -An -tx1 > /app/deps-random\n' +
  'FROM localhost/busybox:latest\nWORKDIR /app\nCOPY --from=deps /app/deps-random ./\nCOPY src.txt .\nRUN head -c 16 /dev/urandom | od -An -tx1 > /app/build-random\nENV MODE=prod\n';

async function freshStore(): Promise<{ engine: Engine; cleanup: () => void }> {
  const t = tempEngine();
  await loadBase(t.engine);
  return t;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('--cache-to / --cache-from', () => {
  let a: { engine: Engine; cleanup: () => void };
  const stores: { cleanup: () => void }[] = [];
  beforeAll(async () => {
    a = await freshStore();
  });
  afterAll(() => {
    a.cleanup();
    for (const s of stores) s.cleanup();
  });

  it('type=local (an OCI layout): an empty store starts warm, with the same image ID and no RUN run', async () => {
    const ctx = makeContext({ Dockerfile: DF, 'lock.txt': 'v1', 'src.txt': 'src' });
    const dir = join(mkdtempSync(join(tmpdir(), 'slipway-cache-')), 'cache');
    const first = await buildWith(a.engine, { context: ctx, cacheTo: [{ type: 'local', dest: dir, mode: 'max' }] });
    // a valid OCI layout whose blobs are what their names say
    expect(JSON.parse(readFileSync(join(dir, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    expect(index.manifests[0].annotations['org.opencontainers.image.ref.name']).toBe('latest');
    for (const n of readdirSync(join(dir, 'blobs/sha256'))) expect(sha(readFileSync(join(dir, 'blobs/sha256', n)))).toBe(n);

    const b = await freshStore();
    stores.push(b);
    const warm = await buildWith(b.engine, { context: ctx, cacheFrom: [{ type: 'local', src: dir }] });
    expect(stepStatuses(warm.events).every((s) => s.startsWith('CACHED')), stepStatuses(warm.events).join('\n')).toBe(true);
    expect(JSON.stringify(b.engine.images.config(warm.imageId))).toBe(JSON.stringify(a.engine.images.config(first.imageId)));
    expect(warm.imageId).toBe(first.imageId);
    const fa = await rootfs(a.engine, first.imageId);
    const fb = await rootfs(b.engine, warm.imageId);
    expect(fb.get('/app/build-random')!.sha256).toBe(fa.get('/app/build-random')!.sha256);
    // the imported steps are local now: the next build hits without the source
    const again = await buildWith(b.engine, { context: ctx });
    expect(stepStatuses(again.events).every((s) => s.startsWith('CACHED'))).toBe(true);
    // a changed source misses from that step on, as a local cache would
    writeFileSync(join(ctx, 'src.txt'), 'changed');
    const c = await freshStore();
    stores.push(c);
    const partly = await buildWith(c.engine, { context: ctx, cacheFrom: [{ type: 'local', src: dir }] });
    const st = stepStatuses(partly.events);
    expect(st.filter((s) => s.startsWith('CACHED')).length).toBeGreaterThanOrEqual(4);
    expect(st.find((s) => s.includes('src.txt'))).toMatch(/^MISS COPY src.txt \./);
    writeFileSync(join(ctx, 'src.txt'), 'src');
  });

  it('mode=min keeps only the final image\'s steps; a missing or foreign cache is a warning, not a failure', async () => {
    const ctx = makeContext({ Dockerfile: DF, 'lock.txt': 'v1', 'src.txt': 'src' });
    const dir = join(mkdtempSync(join(tmpdir(), 'slipway-cache-')), 'min');
    await buildWith(a.engine, { context: ctx, cacheTo: [{ type: 'local', dest: dir, mode: 'min' }] });
    const b = await freshStore();
    stores.push(b);
    const r = await buildWith(b.engine, { context: ctx, cacheFrom: [{ type: 'local', src: dir }, { type: 'local', src: '/nonexistent-cache' }] });
    const st = stepStatuses(r.events);
    // the deps stage is not in a min cache (it ran); the final stage's steps are
    expect(st.find((s) => s.includes('lock.txt'))).toMatch(/^MISS/);
    expect(st.find((s) => s.includes('build-random'))).toMatch(/^CACHED/);
    expect(r.events).toContainEqual({ type: 'build.warning', message: expect.stringMatching(/^cache import from \/nonexistent-cache failed: .*no index.json there/) });
  });

  describe('type=inline through a registry', () => {
    let reg: RunningRegistry;
    beforeAll(async () => {
      reg = await startRegistry();
    });
    afterAll(async () => {
      await reg.stop();
    });

    it('--cache-to type=inline writes the cache into the image config; --cache-from IMAGE after a pull starts warm', async () => {
      const ctx = makeContext({ Dockerfile: DF, 'lock.txt': 'v1', 'src.txt': 'src' });
      const name = `${reg.addr}/app/cached:1`;
      const built = await buildWith(a.engine, { context: ctx, tags: [name], cacheTo: [{ type: 'inline' }] });
      const cfg = a.engine.images.config(a.engine.images.resolve(name));
      expect(typeof cfg['moby.buildkit.cache.v0']).toBe('string');
      await push(a.engine, name, {});
      const b = await freshStore();
      stores.push(b);
      await pull(b.engine, name, {});
      const warm = await buildWith(b.engine, { context: ctx, tags: ['local/app:1'], cacheFrom: [{ type: 'image', ref: name }], cacheTo: [{ type: 'inline' }] });
      const st = stepStatuses(warm.events);
      // the final stage hits; deps (not in the image) runs again, but its output is the same key
      expect(st.filter((s) => s.includes('build-random') || s.includes('src.txt') || s.includes('COPY --from'))).toEqual(st.filter((s) => (s.includes('build-random') || s.includes('src.txt') || s.includes('COPY --from')) && s.startsWith('CACHED')));
      expect(st.find((s) => s.includes('build-random'))).toMatch(/^CACHED/);
      expect(warm.imageId).toBe(built.imageId);
    });
  });
});
