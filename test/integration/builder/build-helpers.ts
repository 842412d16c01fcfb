import { createReadStream, mkdtempSync, mkdirSync, writeFileSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll } from 'vitest';
import type { Engine } from '../../../main/engine/engine.js';
import { tempEngine, tempRoot } from '../../helpers/tmp-store.js';
import { Engine as EngineClass } from '../../../main/engine/engine.js';
import { loadArchive } from '../../../main/engine/image/load.js';
import { build, type BuildEvent, type BuildRequest } from '../../../main/engine/builder/builder.js';
import { FIXTURES } from '../../helpers/tmp-store.js';
// @ts-expect-error plain JS module shared with record-golden.sh
import { flatten, golden } from '../../fixtures/dockerfiles/golden.mjs';

export const BASE = 'localhost/busybox:latest';

export async function loadBase(engine: Engine): Promise<void> {
  await loadArchive(engine, join(FIXTURES, 'busybox-docker.tar'));
}

/** A context dir from a map of relative path -> content (string) or { link: target }. */
export function makeContext(files: Record<string, string | { link: string }>): string {
  const dir = mkdtempSync(join(process.env.SLIPWAY_TEST_TMP ?? tmpdir(), 'slipway-ctx-'));
  for (const [rel, c] of Object.entries(files)) {
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    if (typeof c === 'string') writeFileSync(p, c);
    else symlinkSync(c.link, p);
  }
  return dir;
}

export async function buildWith(engine: Engine, req: BuildRequest): Promise<{ imageId: string; events: BuildEvent[] }> {
  const events: BuildEvent[] = [];
  const r = await build(engine, req, (e) => events.push(e));
  return { imageId: r.imageId, events };
}

function layerOpeners(engine: Engine, ref: string) {
  const img = engine.images.resolve(ref);
  return img.layers.map((l) => async () => createReadStream(engine.store.blobs.path(l.blobDigest)));
}

/** path -> "type mode uid:gid size sha256 link" of an image's flattened rootfs. */
export async function rootfs(engine: Engine, ref: string): Promise<Map<string, { type: string; mode: string; uid: number; gid: number; size: number; sha256: string; link: string }>> {
  return flatten(layerOpeners(engine, ref));
}

export async function goldenOf(engine: Engine, ref: string): Promise<unknown> {
  const cfg = engine.images.config(engine.images.resolve(ref));
  return golden(cfg, layerOpeners(engine, ref), layerOpeners(engine, BASE));
}

export function stepStatuses(events: BuildEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    if (e.type === 'step.cached') out.push(`CACHED ${e.step.instruction}`);
    if (e.type === 'step.miss') out.push(`MISS ${e.step.instruction} (${e.reason})`);
  }
  return out;
}

/** A temp store with the busybox base loaded, for one test file (made in beforeAll, removed in afterAll). */
export function storeWithBase(): { engine: Engine } {
  const ref = {} as { engine: Engine; cleanup?: () => void };
  beforeAll(async () => {
    const t = tempEngine();
    ref.engine = t.engine;
    ref.cleanup = t.cleanup;
    await loadBase(t.engine);
  });
  afterAll(() => ref.cleanup?.());
  return ref;
}

/** Build a Dockerfile text in a fresh context; returns the image's config and flattened rootfs. */
export async function buildText(engine: Engine, dockerfile: string, files: Record<string, string | { link: string }> = {}, extra: Partial<BuildRequest> = {}) {
  const ctx = makeContext({ Dockerfile: dockerfile, ...files });
  const { imageId, events } = await buildWith(engine, { context: ctx, ...extra });
  return { imageId, events, config: engine.images.config(engine.images.resolve(imageId)), fs: await rootfs(engine, imageId), ctx };
}

/** A temp store root with the base image loaded, for tests that drive the CLI (SLIPWAY_ROOT). */
export function cliStoreWithBase(): { root: string } {
  const ref = { root: '' } as { root: string; cleanup?: () => void };
  beforeAll(async () => {
    const t = tempRoot();
    ref.root = t.root;
    ref.cleanup = t.cleanup;
    const e = new EngineClass(t.root);
    try {
      await loadBase(e);
    } finally {
      e.close();
    }
  });
  afterAll(() => ref.cleanup?.());
  return ref;
}
