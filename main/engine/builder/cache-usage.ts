import type { Engine } from '../engine.js';
import { InvalidArgumentError } from '../model/errors.js';
import { BuildCache } from '../store/tables/build-cache.js';
import { imagesTable } from '../store/tables/images.js';
import { cacheMountUsage, pruneCacheMounts } from './cache-mounts.js';
import { parseTimeFilter } from '../model/time-filter.js';

/**
 * The build cache as BuildKit reports it (`builder du`, `system df`, `builder prune`):
 * "regular" records are the layers cached steps made, "exec.cachemount" records the
 * directories of RUN --mount=type=cache. A regular record an image also uses is shared (its
 * bytes stay when the cache goes), so only `--all` removes it.
 */
export type CacheRecordType = 'regular' | 'exec.cachemount';

export interface BuildCacheRecord {
  id: string;
  type: CacheRecordType;
  size: number;
  shared: boolean;
  inUse: boolean;
  reclaimable: boolean;
  /** ms since epoch */
  createdAt: number;
  lastUsedAt: number;
  usageCount: number;
  description: string;
}

export async function buildCacheRecords(engine: Engine): Promise<BuildCacheRecord[]> {
  const regular: BuildCacheRecord[] = new BuildCache(engine.store.db).layerRecords().map((r) => ({
    id: r.chainId.replace(/^sha256:/, '').slice(0, 25),
    type: 'regular',
    size: r.size,
    shared: r.shared,
    inUse: false,
    reclaimable: !r.shared,
    createdAt: r.created,
    lastUsedAt: r.usedAt,
    usageCount: r.steps,
    description: r.instruction,
  }));
  const mounts: BuildCacheRecord[] = (await cacheMountUsage(engine)).map((m) => ({
    id: m.dir.slice(0, 25),
    type: 'exec.cachemount',
    size: m.size,
    shared: false,
    inUse: m.inUse,
    reclaimable: !m.inUse,
    createdAt: m.created,
    lastUsedAt: m.usedAt,
    usageCount: m.uses,
    description: `cached mount ${m.cacheId}${m.instance ? ` (private copy ${m.instance})` : ''}`,
  }));
  return [...regular, ...mounts].sort((a, b) => b.lastUsedAt - a.lastUsedAt);
}

export interface CachePruneOptions {
  /** also records an image shares (BuildKit's --all) */
  all?: boolean;
  /** `type=regular|exec.cachemount`, `until=DURATION`, `id=PREFIX`, as `builder prune --filter` */
  filters?: string[];
  /** `until=` durations are measured from here (ms) */
  now?: number;
}

function matcher(filters: string[], parseUntil: (v: string) => number): (r: BuildCacheRecord) => boolean {
  const types: string[] = [];
  const ids: string[] = [];
  let until: number | undefined;
  for (const f of filters) {
    const i = f.indexOf('=');
    const k = i < 0 ? f : f.slice(0, i);
    const v = i < 0 ? '' : f.slice(i + 1);
    if (k === 'type') types.push(v);
    else if (k === 'id') ids.push(v);
    else if (k === 'until' || k === 'unused-for') until = parseUntil(v);
    else throw new InvalidArgumentError(`invalid filter '${k}': builder prune accepts type, id and until`);
  }
  return (r) => (!types.length || types.includes(r.type)) && (!ids.length || ids.some((p) => r.id.startsWith(p))) && (until === undefined || r.lastUsedAt < until);
}

/**
 * Remove build cache records: without `all`, those no image shares (regular layers of steps
 * only) and every cache mount no build holds; with `all`, the cached steps of shared layers
 * too (their layers stay with the images). Returns what went and the bytes freed.
 */
export async function pruneBuildCacheRecords(engine: Engine, o: CachePruneOptions = {}): Promise<{ removed: BuildCacheRecord[]; reclaimed: number }> {
  const match = matcher(o.filters ?? [], (v) => parseTimeFilter(v, 'until filter', o.now));
  const records = await buildCacheRecords(engine);
  const removed: BuildCacheRecord[] = [];
  const cache = new BuildCache(engine.store.db);
  const layers = cache.layerRecords();
  const gone = layers.filter((l) => {
    const r = records.find((x) => x.type === 'regular' && x.id === l.chainId.replace(/^sha256:/, '').slice(0, 25))!;
    return (o.all || !l.shared) && match(r);
  });
  cache.removeLayers(gone.map((l) => l.chainId));
  for (const l of gone) removed.push(records.find((x) => x.type === 'regular' && x.id === l.chainId.replace(/^sha256:/, '').slice(0, 25))!);
  let reclaimed = dropUnusedLayers(engine, gone).bytes;
  const mountRecords = new Map(records.filter((r) => r.type === 'exec.cachemount').map((r) => [r.id, r]));
  const { removed: mounts } = await pruneCacheMounts(engine, (row) => {
    const r = mountRecords.get(row.dir.slice(0, 25));
    return !r || !match(r);
  });
  for (const m of mounts) {
    removed.push(mountRecords.get(m.dir.slice(0, 25)) ?? { id: m.dir.slice(0, 25), type: 'exec.cachemount', size: m.size, shared: false, inUse: false, reclaimable: true, createdAt: m.created, lastUsedAt: m.usedAt, usageCount: m.uses, description: `cached mount ${m.cacheId}` });
    reclaimed += m.size;
  }
  return { removed, reclaimed };
}

/**
 * After cache rows went: delete the snapshots and blobs of those layers that no image uses
 * (a layer an image uses stays with it).
 */
function dropUnusedLayers(engine: Engine, layers: { chainId: string; blobDigest: string; size: number }[]): { count: number; bytes: number } {
  const db = engine.store.db;
  let count = 0;
  let bytes = 0;
  for (const l of layers) {
    if (imagesTable.hasLayer(db, l.chainId)) continue;
    if (engine.images.snapshots.has(l.chainId)) {
      engine.images.snapshots.remove(l.chainId);
      count++;
    }
    if (!imagesTable.holdsBlob(db, l.blobDigest)) engine.store.blobs.delete(l.blobDigest);
    bytes += l.size;
  }
  return { count, bytes };
}

/** Drop the whole step cache (not the cache mounts); layers no image uses go with it. */
export function pruneBuildCache(engine: Engine): { steps: number; layers: number } {
  const cache = new BuildCache(engine.store.db);
  const layers = cache.layerRecords();
  const { steps } = cache.prune();
  return { steps, layers: dropUnusedLayers(engine, layers).count };
}
