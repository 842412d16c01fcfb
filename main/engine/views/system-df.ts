import type { Engine } from '../engine.js';
import { diskUsage } from '../image/usage.js';
import { pruneImages } from '../image/prune.js';
import { buildCacheRecords, pruneBuildCacheRecords } from '../builder/cache-usage.js';
import { displayState } from './containers.js';

export type DiskKind = 'images' | 'containers' | 'volumes' | 'buildCache';

export interface DiskKindUsage {
  kind: DiskKind;
  count: number;
  active: number;
  size: number;
  reclaimable: number;
}

/**
 * The home dashboard's figures: `system df` (the same rules as the CLI's: layers counted once,
 * shared build cache in neither size) plus the running count and the largest images/volumes.
 */
export async function systemDf(engine: Engine, o: { top?: number } = {}) {
  const top = o.top ?? 5;
  const u = diskUsage(engine.images);
  const cache = await buildCacheRecords(engine);
  const vols = engine.volumes.usage();
  const ctrs = await engine.containers.list({ all: true });
  const own = cache.filter((r) => !r.shared);
  const kinds: DiskKindUsage[] = [
    { kind: 'images', count: u.images.length, active: u.imagesActive, size: u.imagesSize, reclaimable: u.imagesReclaimable },
    { kind: 'containers', count: u.containers.length, active: u.containersActive, size: u.containersSize, reclaimable: u.containersReclaimable },
    {
      kind: 'volumes',
      count: vols.length,
      active: vols.filter((v) => v.UsageData!.RefCount > 0).length,
      size: vols.reduce((a, v) => a + v.UsageData!.Size, 0),
      reclaimable: vols.filter((v) => v.UsageData!.RefCount === 0).reduce((a, v) => a + v.UsageData!.Size, 0),
    },
    {
      kind: 'buildCache',
      count: cache.length,
      active: cache.filter((r) => r.inUse).length,
      size: own.reduce((n, r) => n + r.size, 0),
      reclaimable: own.filter((r) => !r.inUse).reduce((n, r) => n + r.size, 0),
    },
  ];
  return {
    containers: { total: ctrs.length, running: ctrs.filter((c) => displayState(c) === 'running').length },
    images: u.images.length,
    kinds,
    totalSize: kinds.reduce((a, k) => a + k.size, 0),
    topImages: [...u.images]
      .sort((a, b) => b.image.size - a.image.size)
      .slice(0, top)
      .map((i) => ({ id: i.image.id, tags: i.image.tags, size: i.image.size, uniqueSize: i.uniqueSize, containers: i.containers })),
    topVolumes: [...vols]
      .sort((a, b) => b.UsageData!.Size - a.UsageData!.Size)
      .slice(0, top)
      .map((v) => ({ name: v.Name, size: v.UsageData!.Size, containers: v.UsageData!.RefCount })),
  };
}

/**
 * The dashboard's reclaim buttons: what `system df` calls reclaimable goes, i.e. the prune
 * that matches it (images no container uses, stopped containers, volumes no container
 * mounts, build cache no image shares). Returns how many went and the bytes freed.
 */
export async function pruneKind(engine: Engine, kind: DiskKind): Promise<{ deleted: number; reclaimed: number }> {
  switch (kind) {
    case 'images': {
      const r = pruneImages(engine.images, { all: true });
      return { deleted: r.events.filter((e) => e.kind === 'Deleted').length, reclaimed: r.reclaimed };
    }
    case 'containers': {
      const before = diskUsage(engine.images).containersReclaimable;
      const gone = await engine.containers.prune({});
      const after = diskUsage(engine.images).containersReclaimable;
      return { deleted: gone.length, reclaimed: Math.max(0, before - after) };
    }
    case 'volumes': {
      const r = engine.volumes.prune({ all: true });
      return { deleted: r.VolumesDeleted.length, reclaimed: r.SpaceReclaimed };
    }
    case 'buildCache': {
      const r = await pruneBuildCacheRecords(engine);
      return { deleted: r.removed.length, reclaimed: r.reclaimed };
    }
  }
}
