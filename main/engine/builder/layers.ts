import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../engine.js';
import type { ImageRecord, LayerRecord } from '../image/images.js';
import { hexOf, sha256 } from '../util/digest.js';
import { fsyncDir } from '../util/atomic.js';
import { liveTempName } from '../util/ids.js';

/**
 * Build layers are made as directories that are already the snapshot: a COPY writes its files
 * into a fresh dir under snapshots/.tmp-*, a RUN leaves its overlay upper there; the dir is
 * packed into a blob and then renamed to snapshots/<chainID>. Nothing is extracted twice, and
 * a crash leaves only a .tmp-* dir that `system check` removes.
 */
export function newLayerDir(engine: Engine): string {
  const dir = join(engine.store.paths.snapshots, `.tmp-${liveTempName('build')}`);
  mkdirSync(dir, { mode: 0o755 });
  return dir;
}

export function chainOf(parent: string | undefined, diffId: string): string {
  return parent ? sha256(`${parent} ${diffId}`) : diffId;
}

/** Pack `dir` into a blob and move it into place as the snapshot. */
export async function commitLayerDir(engine: Engine, dir: string, parentChain: string | undefined, opts: { epoch?: number; upper?: boolean }): Promise<LayerRecord> {
  // Imported on use: a fully cached build never packs or unpacks anything.
  const { commitDirectory, commitUpperDir } = await import('../layer/diff.js');
  const layer = opts.upper
    ? await commitUpperDir(dir, engine.store.blobs, { epoch: opts.epoch, rootless: (await import('../rootless/detect.js')).isRootless() })
    : await commitDirectory(dir, engine.store.blobs, { epoch: opts.epoch });
  const chainId = chainOf(parentChain, layer.diffId);
  const dest = engine.images.snapshots.path(chainId);
  if (existsSync(dest)) {
    rmSync(dir, { recursive: true, force: true });
  } else {
    try {
      renameSync(dir, dest);
    } catch (e) {
      if (!existsSync(dest)) throw e;
      rmSync(dir, { recursive: true, force: true });
    }
    fsyncDir(engine.store.paths.snapshots);
  }
  return { ...layer, chainId };
}

/** A loaded image may lack some snapshots (removed by a prune): unpack them again. */
export async function ensureSnapshots(engine: Engine, layers: LayerRecord[]): Promise<string[]> {
  const dirs: string[] = [];
  for (const l of layers) {
    if (engine.images.snapshots.has(l.chainId)) {
      dirs.push(engine.images.snapshots.path(l.chainId));
      continue;
    }
    const { applyLayer } = await import('../layer/apply.js');
    dirs.push(
      await engine.images.snapshots.prepare(l.chainId, async (dir) => {
        await applyLayer(engine.store.blobs.stream(l.blobDigest), dir, { mode: 'overlay' });
      }),
    );
  }
  return dirs;
}

export function snapshotDirs(engine: Engine, img: ImageRecord | { layers: LayerRecord[] }): string[] {
  return img.layers.map((l) => engine.images.snapshots.path(l.chainId));
}

export function layerAvailable(engine: Engine, chainId: string, blobDigest: string): boolean {
  return engine.images.snapshots.has(chainId) && engine.store.blobs.has(blobDigest);
}

export { hexOf };
