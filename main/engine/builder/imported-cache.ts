import type { Engine } from '../engine.js';
import type { LayerRecord } from '../image/images.js';
import { EngineError, ErrorCode, errorMessage } from '../model/errors.js';
import { isRootless } from '../rootless/detect.js';
import type { BuildCache, CacheRow } from '../store/tables/build-cache.js';
import type { CacheSource, PortableRow } from './cache-io.js';
import { chainOf } from './layers.js';

/**
 * Rows from `--cache-from`, consulted when the local cache has no row for a step. A hit is
 * made local (the blob copied in with its digest checked, unpacked as a snapshot whose diff ID
 * must match, the row written), so the next build hits without the source.
 */
export class ImportedCache {
  constructor(
    private readonly engine: Engine,
    private readonly cache: BuildCache,
    private readonly sources: CacheSource[],
    private readonly warn: (message: string) => void,
  ) {}

  get empty(): boolean {
    return this.sources.length === 0;
  }

  private find(key: string): { row: PortableRow; src: CacheSource } | undefined {
    for (const src of this.sources) {
      const row = src.rows.get(key);
      if (row) return { row, src };
    }
    return undefined;
  }

  /** A config-only step (only its `created` time is cached). */
  configRow(key: string): CacheRow | undefined {
    const hit = this.find(key);
    if (!hit || hit.row.layer) return undefined;
    const r = hit.row;
    this.cache.put({ key, parentKey: r.parentKey, instruction: r.instruction, inputs: r.inputs, created: r.created });
    return this.cache.get(key);
  }

  /** A layer step on top of `parentChain`: its layer made available locally, or undefined. */
  async layerRow(key: string, parentChain: string | undefined): Promise<CacheRow | undefined> {
    const hit = this.find(key);
    if (!hit) return undefined;
    const r = hit.row;
    try {
      let layer: LayerRecord | undefined;
      if (r.layer) {
        const blobs = this.engine.store.blobs;
        if (!blobs.has(r.layer.blobDigest)) {
          const open = hit.src.blob(r.layer.blobDigest);
          if (!open) return undefined;
          await blobs.putStream(open(), r.layer.blobDigest);
        }
        layer = { ...r.layer, chainId: chainOf(parentChain, r.layer.diffId) };
        const want = r.layer.diffId;
        const blob = r.layer.blobDigest;
        await this.engine.images.snapshots.prepare(layer.chainId, async (dir) => {
          const { applyLayer } = await import('../layer/apply.js');
          const got = await applyLayer(blobs.stream(blob), dir, { mode: 'overlay', rootless: isRootless() });
          if (got.diffId !== want) throw new EngineError(ErrorCode.INVALID, `${hit.src.what}: a layer's content (${got.diffId.slice(7, 19)}) is not the diff ID its cache row names (${want.slice(7, 19)})`);
        });
      }
      this.cache.put({ key, parentKey: r.parentKey, instruction: r.instruction, inputs: r.inputs, sources: r.sources ?? undefined, created: r.created, layer, chainId: layer?.chainId });
      return this.cache.get(key);
    } catch (e) {
      this.warn(`cache from ${hit.src.what} not used for "${r.instruction}": ${errorMessage(e)}`);
      return undefined;
    }
  }
}
