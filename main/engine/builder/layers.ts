import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../engine.js';
import type { ImageRecord, LayerRecord, NewLayer } from '../image/images.js';
import { hexOf, sha256 } from '../util/digest.js';
import { fsyncDir } from '../util/atomic.js';
import { liveTempName } from '../util/ids.js';

/**
 * Build layers are made as directories that are already the snapshot: a COPY writes its files
 * into a fresh dir under snapshots/.tmp-*, a RUN leaves its overlay upper there; the dir is
 * packed into a blob and then renamed to snapshots/<chainID>. Nothing is extracted twice, and
 * a crash leaves only a .tmp-* dir that `system check` removes. The builder packs a step's dir
 * while the next step runs on top of it, and renames it once that step is done with it.
 */
export function newLayerDir(engine: Engine): string {
  const dir = join(engine.store.paths.snapshots, `.tmp-${liveTempName('build')}`);
  mkdirSync(dir, { mode: 0o755 });
  return dir;
}

export function chainOf(parent: string | undefined, diffId: string): string {
  return parent ? sha256(`${parent} ${diffId}`) : diffId;
}

/** A step's layer directory, made and not yet packed. */
export interface MadeLayer {
  dir: string;
  /** the dir is a RUN's overlay upper (whiteouts as devices, opaque xattrs) */
  upper?: boolean;
}

/** Pack a made layer's dir into a blob. The dir itself is left as it is, so the next step can
 *  already read it (or mount it as a lower) while this runs. */
export async function packLayerDir(engine: Engine, made: MadeLayer, opts: { epoch?: number }): Promise<NewLayer> {
  // Imported on use: a fully cached build never packs or unpacks anything.
  const rootless = (await import('../rootless/detect.js')).isRootless();
  const { packOnThread, PackThreadFailed } = await import('../layer/pack-pool.js');
  const onThread = await packOnThread({ root: engine.store.paths.root, dir: made.dir, upper: !!made.upper, epoch: opts.epoch, rootless }).catch((e: unknown) => {
    if (e instanceof PackThreadFailed) return undefined; // its temp blob, if any, goes with `system check`
    throw e;
  });
  if (onThread) return onThread;
  const { commitDirectory, commitUpperDir } = await import('../layer/diff.js');
  return made.upper
    ? await commitUpperDir(made.dir, engine.store.blobs, { epoch: opts.epoch, rootless })
    : await commitDirectory(made.dir, engine.store.blobs, { epoch: opts.epoch });
}

/** Move a packed layer's dir into place as the snapshot of its chain. */
export function placeLayerDir(engine: Engine, dir: string, parentChain: string | undefined, layer: NewLayer): LayerRecord {
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
